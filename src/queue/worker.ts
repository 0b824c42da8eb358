import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { silentLogger, type Logger } from "../log.js";
import { retryDelay } from "./backoff.js";
import { toJobError } from "./failures.js";
import { RECONCILE_QUEUE, type ReconcileJobData } from "./queue.js";

export interface ReconcileContext {
  /** Aborted when cancel(envId) is called for this environment in this process. */
  signal: AbortSignal;
  /** 1 for the first run of the job, 2 for its first retry, … */
  attempt: number;
  /** The job's attempts in all. */
  maxAttempts: number;
  /** This is the last attempt: a transient failure now fails the job instead of retrying it. */
  finalAttempt: boolean;
  /** A child logger bound to the environment, job and attempt. */
  log: Logger;
}

/**
 * Reconciles one environment. Throw a PrboxError of kind "permanent" (or a NotReadyError) to
 * fail the job once; anything else is retried with backoff.
 */
export type ReconcileHandler = (envId: string, ctx: ReconcileContext) => Promise<unknown>;

export interface ReconcileWorkerOptions {
  /** A "worker" role connection (connectRedis). BullMQ opens its own copies of it; the caller closes this one. */
  connection: Redis;
  /** BullMQ key prefix; default "prbox". Must match the queue's. */
  prefix?: string;
  /** Jobs (of different environments) run at once in this process; default 4. */
  concurrency?: number;
  handler: ReconcileHandler;
  log?: Logger;
  /** How long a job's lock lives without renewal (ms); a dead worker's job is taken over after it. Default 30000 (PRBOX_JOB_LOCK_DURATION). */
  lockDurationMs?: number;
  /**
   * How often this worker looks for jobs of dead workers (ms); default 15000 (PRBOX_STALLED_INTERVAL). The check is
   * throttled queue-wide by the interval of whichever worker ran it last: give every worker the same.
   */
  stalledIntervalMs?: number;
  /** How often a job may lose its worker before it fails; default 2. */
  maxStalledCount?: number;
}

export interface ReconcileWorker {
  /**
   * Aborts the signal of the job of `envId` running in this process, if any. The job then ends
   * without retry; enqueue a reconcile first if something should happen next (it runs after).
   * Returns whether a running job was found.
   */
  cancel(envId: string, reason?: string): boolean;
  /** Stops taking jobs and waits for the running ones to finish (a graceful SIGTERM drain). */
  close(): Promise<void>;
}

function envIdOf(job: Job<ReconcileJobData>): string {
  const envId: unknown = (job.data as { envId?: unknown } | undefined)?.envId;
  if (typeof envId !== "string" || envId === "") {
    throw new UnrecoverableError(`job ${String(job.id)} names no environment (data: ${JSON.stringify(job.data)})`);
  }
  return envId;
}

type Processor = (job: Job<ReconcileJobData>, token: string | undefined, signal: AbortSignal | undefined) => Promise<unknown>;

/**
 * Wraps the handler for BullMQ: builds the context, records which environment runs here (for
 * cancel), and turns the handler's errors into retry or no retry.
 */
function processorFor(handler: ReconcileHandler, log: Logger, running: Map<string, string>): Processor {
  // Three declared parameters: BullMQ passes the AbortSignal only to processors whose
  // `length` is at least 3.
  return async (job, _token, signal) => {
    const envId = envIdOf(job);
    const jobId = String(job.id);
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const jobLog = log.child({ envId, jobId, attempt });
    const ctx = { signal: signal ?? new AbortController().signal, attempt, maxAttempts, finalAttempt: attempt >= maxAttempts, log: jobLog };
    running.set(envId, jobId);
    try {
      return await handler(envId, ctx);
    } catch (error) {
      // A cancelled job is superseded, not failed: whoever cancelled it enqueued what comes next.
      if (ctx.signal.aborted) {
        jobLog.info({ reason: String(ctx.signal.reason) }, "reconcile cancelled");
        return { cancelled: true };
      }
      throw toJobError(error);
    } finally {
      if (running.get(envId) === jobId) running.delete(envId);
    }
  };
}

/** Starts taking reconcile jobs; resolves once the worker is connected. */
export async function startReconcileWorker(options: ReconcileWorkerOptions): Promise<ReconcileWorker> {
  const log = (options.log ?? silentLogger).child({ component: "worker" });
  // Jobs running in this process, by environment: at most one each (the queue de-duplicates).
  const running = new Map<string, string>();
  const worker = new Worker<ReconcileJobData>(RECONCILE_QUEUE, processorFor(options.handler, log, running), {
    connection: options.connection,
    prefix: options.prefix ?? "prbox",
    concurrency: options.concurrency ?? 4,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 15_000,
    maxStalledCount: options.maxStalledCount ?? 2,
    settings: { backoffStrategy: retryDelay },
  });
  watchWorker(worker, log);
  await worker.waitUntilReady();
  log.info({ concurrency: worker.concurrency }, "reconcile worker started");

  return {
    cancel(envId, reason = "cancelled") {
      const jobId = running.get(envId);
      return jobId !== undefined && worker.cancelJob(jobId, reason);
    },
    async close() {
      await worker.close();
      log.info({}, "reconcile worker stopped");
    },
  };
}

function watchWorker(worker: Worker<ReconcileJobData>, log: Logger): void {
  worker.on("error", (error) => log.warn({ err: error }, "worker error"));
  worker.on("stalled", (jobId) => log.warn({ jobId }, "a job lost its worker; it runs again"));
  worker.on("failed", (job, error) => {
    if (!job) return;
    const final = job.finishedOn !== undefined;
    const fields = { envId: job.data.envId, jobId: job.id, attempt: job.attemptsMade, err: error };
    if (final) log.error(fields, "reconcile failed");
    else log.warn(fields, "reconcile failed; retrying");
  });
  worker.on("completed", (job, result: unknown) => log.debug({ envId: job.data.envId, jobId: job.id, result }, "reconcile done"));
}
