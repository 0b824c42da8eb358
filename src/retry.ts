import { NotReadyError, PrboxError } from "./errors.js";

/**
 * The one rule for "retry or give up", used by reconcile (what the PR is told) and by the queue
 * (whether the job runs again), so the two cannot disagree (ADR 18):
 * - transient (the world was unavailable: API server down, 409, 429, 5xx, Redis away): retry;
 * - permanent (the input is wrong) and internal (a bug in prbox: it does not fix itself): never;
 * - workloads not ready within the deploy timeout, whatever their kind: never (a retry would
 *   wait as long again for the same answer; the next push deploys anew);
 * - an error nobody classified (a library's `TypeError: fetch failed` that slipped past a
 *   boundary): retry, as the safer guess for an unclassified failure of the outside world.
 */
export function mayRetry(error: unknown): boolean {
  if (error instanceof NotReadyError) return false;
  if (error instanceof PrboxError) return error.kind === "transient";
  return true;
}
