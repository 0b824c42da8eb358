import type { AnyRedis } from "./redis.js";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { silentLogger, type Logger } from "../log.js";
import { mayRetry } from "../retry.js";
import { retryDelay } from "./backoff.js";
import { toJobError } from "./failures.js";
import { RECONCILE_QUEUE, type ReconcileJobData } from "./queue.js";

/** When a failed job runs again: for the PR's "retrying in 16 s (attempt 3 of 8)". */
export interface NextAttempt {
  /** Milliseconds until the next attempt (backoff, or longer when the server asked to wait). */
  inMs: number;
  /** The number of the next attempt, 2 for the first retry. */
  attempt: number;
  /** The job's attempts in all. */
  of: number;
}

export interface ReconcileContext {
  /** 1 for the first run of the job, 2 for its first retry, … */
  attempt: number;
  /** The job's attempts in all. */
  maxAttempts: number;
  /** This is the last attempt: a transient failure now fails the job instead of retrying it. */
  finalAttempt: boolean;
  /** A child logger bound to the environment, job and attempt. */
  log: Logger;
  /**
   * When the job runs again if the handler now throws `error`; null when it will not (the last
   * attempt, or an error that may not be retried). The queue then waits exactly the delay
   * returned here (the first one asked for in this attempt), so what the PR says is what happens.
   */
  nextAttempt(error: unknown): NextAttempt | null;
}

/**
 * Reconciles one environment. What it throws is retried with backoff when src/retry.ts's
 * mayRetry says so, and fails the job at once otherwise.
 */
export type ReconcileHandler = (envId: string, ctx: ReconcileContext) => Promise<unknown>;

export interface ReconcileWorkerOptions {
  /** A "worker" role connection (connectRedis). BullMQ opens its own copies of it; the caller closes this one. */
  connection: AnyRedis;
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

type Processor = (job: Job<ReconcileJobData>) => Promise<unknown>;

/** The delays nextAttempt promised, by job id, until BullMQ asks for them (retryDelays below). */
type PlannedDelays = Map<string, number>;

/**
 * Wraps the handler for BullMQ: builds the context and turns the handler's errors into retry or
 * no retry. There is no in-process cancel: a deploy notices a close itself, across processes,
 * by polling the desired state (core/reconcile.ts watchForClose).
 */
function processorFor(handler: ReconcileHandler, log: Logger, planned: PlannedDelays): Processor {
  return async (job) => {
    const envId = envIdOf(job);
    const jobId = String(job.id);
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const jobLog = log.child({ envId, jobId, attempt });
    const nextAttempt = (error: unknown): NextAttempt | null => {
      if (attempt >= maxAttempts || !mayRetry(error)) return null;
      const inMs =
        planned.get(jobId) ?? retryDelay(attempt, undefined, error instanceof Error ? error : undefined, job);
      planned.set(jobId, inMs);
      return { inMs, attempt: attempt + 1, of: maxAttempts };
    };
    planned.delete(jobId);
    try {
      const result = await handler(envId, {
        attempt,
        maxAttempts,
        finalAttempt: attempt >= maxAttempts,
        log: jobLog,
        nextAttempt,
      });
      planned.delete(jobId);
      return result;
    } catch (error) {
      const jobError = toJobError(error);
      if (jobError instanceof UnrecoverableError || attempt >= maxAttempts) planned.delete(jobId);
      throw jobError;
    }
  };
}

/** BullMQ's backoff strategy: the delay nextAttempt promised for this attempt, else the usual one. */
function retryDelays(planned: PlannedDelays): typeof retryDelay {
  return (attemptsMade, type, error, job) => {
    const id = job?.id === undefined ? undefined : String(job.id);
    const promised = id === undefined ? undefined : planned.get(id);
    if (id !== undefined) planned.delete(id);
    return promised ?? retryDelay(attemptsMade, type, error, job);
  };
}

/** Starts taking reconcile jobs; resolves once the worker is connected. */
export async function startReconcileWorker(options: ReconcileWorkerOptions): Promise<ReconcileWorker> {
  const log = (options.log ?? silentLogger).child({ component: "worker" });
  const planned: PlannedDelays = new Map();
  const worker = new Worker<ReconcileJobData>(RECONCILE_QUEUE, processorFor(options.handler, log, planned), {
    connection: options.connection,
    prefix: options.prefix ?? "prbox",
    concurrency: options.concurrency ?? 4,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 15_000,
    maxStalledCount: options.maxStalledCount ?? 2,
    settings: { backoffStrategy: retryDelays(planned) },
  });
  watchWorker(worker, log);
  await worker.waitUntilReady();
  log.info({ concurrency: worker.concurrency }, "reconcile worker started");

  return {
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
  worker.on("completed", (job, result: unknown) =>
    log.debug({ envId: job.data.envId, jobId: job.id, result }, "reconcile done"),
  );
}
