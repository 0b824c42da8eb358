/**
 * The three kinds of failure prbox distinguishes (docs/architecture.md §5):
 * - "permanent": the input is wrong (bad spec, rejected manifest). Report once, never retry.
 * - "transient": the world was unavailable (API server down, 409, 5xx). Retry with backoff.
 * - "internal": a bug in prbox. Log loudly.
 * Callers steer on `kind`, never on message text.
 */
export type ErrorKind = "permanent" | "transient" | "internal";

/** Where in a file a problem is; line and column are 1-based. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export interface PrboxErrorOptions {
  kind?: ErrorKind;
  location?: SourceLocation;
  /** What the user can do about it, one sentence. */
  hint?: string;
  cause?: unknown;
}

export class PrboxError extends Error {
  readonly kind: ErrorKind;
  readonly location: SourceLocation | undefined;
  readonly hint: string | undefined;

  constructor(message: string, options: PrboxErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.kind = options.kind ?? "permanent";
    this.location = options.location;
    this.hint = options.hint;
  }
}

/** The spec (environment.toml, .env, values, manifests) is invalid. Exit status 2 on the CLI. */
export class SpecError extends PrboxError {}

/** The operator's settings are invalid: every problem, one line each (prbox does not start). */
export class ConfigError extends PrboxError {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`, {
      hint: "see .env.example for every setting",
    });
  }
}

/** A chart or manifest could not be rendered. */
export class RenderError extends PrboxError {}

/** The cluster refused or failed an operation. `kind` says whether retrying can help. */
export class ClusterError extends PrboxError {
  /** How long the API server asked to wait (a 429's or 503's Retry-After): the queue's next delay at least. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: PrboxErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Workloads did not become ready; `diagnostics` name the objects and the cluster's reasons. */
export class NotReadyError extends PrboxError {
  constructor(
    message: string,
    readonly diagnostics: readonly string[],
    options: PrboxErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** "file:line:column: message" for a location, the form editors and CI logs link. */
export function formatLocation(location: SourceLocation | undefined): string {
  if (!location) return "";
  const parts = [location.file];
  if (location.line !== undefined) parts.push(String(location.line));
  if (location.line !== undefined && location.column !== undefined) parts.push(String(location.column));
  return parts.join(":");
}

/** One human-readable report of any error, with location and hint when there are some. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const where = error instanceof PrboxError ? formatLocation(error.location) : "";
  const lines = [where ? `${where}: ${error.message}` : error.message];
  if (error instanceof NotReadyError) lines.push(...error.diagnostics.map((d) => `  - ${d}`));
  if (error instanceof PrboxError && error.hint) lines.push(`hint: ${error.hint}`);
  return lines.join("\n");
}

/** The first system or undici error code in an error's cause chain (fetch wraps them in TypeError). */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const inner = current instanceof AggregateError ? current.errors[0] : undefined;
    current = current.cause ?? inner;
  }
  return undefined;
}
