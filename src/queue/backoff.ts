import type { MinimalJob } from "bullmq";

/**
 * The backoff type of reconcile jobs. A worker computes it with `retryDelay`, given to BullMQ as
 * the worker's custom backoff strategy: a queue holding such jobs needs workers of this version.
 */
export const RETRY_BACKOFF = "prbox";

/** The longest wait a forge may ask for that prbox honours as given (GitHub's primary limit resets within an hour). */
const MAX_RETRY_AFTER_MS = 3600_000;

/**
 * How long the forge asked prbox to wait (a 429's or a secondary rate limit's `retry-after`, a
 * primary limit's reset), found anywhere in the error's cause chain; undefined when it did not ask.
 */
export function retryAfterOf(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const wait = (current as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof wait === "number" && Number.isFinite(wait) && wait >= 0) return Math.min(wait, MAX_RETRY_AFTER_MS);
    current = current.cause;
  }
  return undefined;
}

/** BullMQ's exponential backoff with jitter: delay·2^(n-1), up to `jitter` of it taken off at random. */
export function exponentialDelay(attemptsMade: number, delay: number, jitter = 0, random = Math.random): number {
  const max = Math.round(2 ** Math.max(0, attemptsMade - 1) * delay);
  return Math.floor(max * (1 - jitter * random()));
}

/**
 * The delay before a failed job's next attempt: exponential, and never shorter than what the
 * forge asked for. Retrying a rate-limited call sooner only prolongs the limit (GitHub may block
 * an app that keeps calling while limited).
 */
export function retryDelay(
  attemptsMade: number,
  _type: string | undefined,
  error: Error | undefined,
  job: MinimalJob | undefined,
): number {
  const backoff = job?.opts.backoff;
  const delay = typeof backoff === "object" ? (backoff.delay ?? 2000) : (backoff ?? 2000);
  const jitter = typeof backoff === "object" ? (backoff.jitter ?? 0) : 0;
  const exponential = exponentialDelay(attemptsMade, delay, jitter);
  return Math.max(exponential, retryAfterOf(error) ?? 0);
}
