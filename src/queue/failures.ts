import { UnrecoverableError } from "bullmq";
import { NotReadyError, PrboxError } from "../errors.js";

/**
 * Whether retrying cannot help: a permanent error (bad spec, rejected manifest), an internal one
 * (a bug does not fix itself), or workloads that did not become ready within the timeout (a
 * retry would wait as long again for the same answer; the next push deploys anew).
 */
export function isFinal(error: unknown): boolean {
  if (error instanceof NotReadyError) return true;
  return error instanceof PrboxError && error.kind !== "transient";
}

/**
 * What the processor throws to BullMQ for a handler's error: final errors become an
 * UnrecoverableError (the job fails once, no retry) carrying the original message and `cause`;
 * transient and unknown errors go through unchanged and are retried with backoff.
 */
export function toJobError(error: unknown): Error {
  if (isFinal(error)) {
    const final = new UnrecoverableError((error as Error).message);
    final.cause = error;
    return final;
  }
  return error instanceof Error ? error : new Error(String(error), { cause: error });
}
