import { UnrecoverableError } from "bullmq";
import { mayRetry } from "../retry.js";

/**
 * What the processor throws to BullMQ for a handler's error: one that may not be retried
 * (src/retry.ts) becomes an UnrecoverableError (the job fails once) carrying the original
 * message and `cause`; the others go through unchanged and are retried with backoff.
 */
export function toJobError(error: unknown): Error {
  if (!mayRetry(error)) {
    const final = new UnrecoverableError((error as Error).message);
    final.cause = error;
    return final;
  }
  return error instanceof Error ? error : new Error(String(error), { cause: error });
}
