import { networkCode, PrboxError, type PrboxErrorOptions } from "../errors.js";

export interface ForgeErrorOptions extends PrboxErrorOptions {
  /** The HTTP status the forge answered; undefined when it could not be reached. */
  status?: number;
  /** How long the forge asked to wait (retry-after, rate-limit reset): the queue's next delay. */
  retryAfterMs?: number;
}

/**
 * A failed forge call: `kind` steers the queue, `status` lets a caller turn a 404 into an answer.
 * Each forge redacts its own token formats from the message and hint before they can be logged.
 */
export abstract class ForgeError extends PrboxError {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  protected constructor(message: string, options: ForgeErrorOptions, redact: (text: string) => string) {
    super(redact(message), { ...options, hint: options.hint === undefined ? undefined : redact(options.hint) });
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Per-call wording for answers whose meaning depends on the call. */
export interface StatusWords {
  /** Replaces the forge's "Not Found" (a 404 hides both "missing" and "not allowed to see"). */
  notFound?: string;
}

/** Whether a failure never reached the forge (DNS, refused, reset, fetch's TypeError). */
export function isUnreachable(error: unknown): boolean {
  return networkCode(error) !== undefined || error instanceof TypeError;
}

/** The few words on why the forge could not be reached. */
export function unreachableReason(error: unknown): string {
  return networkCode(error) ?? (error instanceof Error ? error.message : String(error));
}

type Classify = (error: unknown, what: string, words: StatusWords) => PrboxError;

/** A call wrapper that classifies what a forge call throws, so call sites stay one line. */
export function guarded(classify: Classify) {
  return async function call<T>(what: string, request: () => Promise<T>, words: StatusWords = {}): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw classify(error, what, words);
    }
  };
}

/** The HTTP status of a forge failure, for the few answers a caller turns into a result (404 → false). */
export function statusOf(error: unknown): number | undefined {
  return error instanceof ForgeError ? error.status : undefined;
}
