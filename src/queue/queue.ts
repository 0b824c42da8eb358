import { Queue } from "bullmq";
import { silentLogger, type Logger } from "../log.js";
import { RETRY_BACKOFF } from "./backoff.js";
import { PrboxError } from "../errors.js";
import { locationOf, redisFailure, type AnyRedis } from "./redis.js";

/** The one queue of prbox (docs/architecture.md §1, step 3; ADR 6). */
export const RECONCILE_QUEUE = "prbox-reconcile";
const JOB_NAME = "reconcile";

/** Job data names the environment, never what to do: the reconciler reads the desired state. */
export interface ReconcileJobData {
  envId: string;
}

export interface ReconcileQueueOptions {
  /** A "client" role connection (connectRedis): enqueueing fails fast while Redis is down. Not closed by close(). */
  connection: AnyRedis;
  /** BullMQ key prefix; default "prbox". Workers must use the same. */
  prefix?: string;
  log?: Logger;
  /** Attempts per job, the first included; default 8. */
  attempts?: number;
  /** Delay before the first retry (ms), doubled for each further one; default 2000. */
  backoffMs?: number;
  /**
   * How long a job waits, collecting further events for its environment, when the event finds a
   * job of it already waiting or running (ms); default 500. The first event of a quiet
   * environment does not wait.
   */
  delayMs?: number;
  /**
   * Replicas that must hold the connection's writes before an enqueue returns (Redis WAIT, at
   * most REPLICA_WAIT_MS); default 0. The intake's state write goes first on the same
   * connection, so a delivery is acknowledged only once a failover cannot lose it.
   */
  replicas?: number;
}

const REPLICA_WAIT_MS = 1000;

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface BullReconcileQueue {
  /**
   * Asks for a reconcile of `envId`. De-duplicated by environment: while a job for it waits, this
   * one replaces it (the delay starts again); while one runs, one more runs after it. A burst of
   * events therefore runs at most two reconciles, the last of which sees the latest state.
   */
  enqueueReconcile(envId: string, options?: { delayMs?: number }): Promise<void>;
  queueCounts(): Promise<QueueCounts>;
  /** Closes the BullMQ queue; the connection stays open (it belongs to the caller). */
  close(): Promise<void>;
  /** The BullMQ queue underneath, for tools and tests (listing jobs, obliterate). */
  readonly bull: Queue<ReconcileJobData>;
}

export function createReconcileQueue(options: ReconcileQueueOptions): BullReconcileQueue {
  const log = (options.log ?? silentLogger).child({ component: "queue" });
  const bull = new Queue<ReconcileJobData>(RECONCILE_QUEUE, {
    connection: options.connection,
    prefix: options.prefix ?? "prbox",
    defaultJobOptions: {
      attempts: options.attempts ?? 8,
      // Exponential, but never sooner than the forge's retry-after (see backoff.ts).
      backoff: { type: RETRY_BACKOFF, delay: options.backoffMs ?? 2000, jitter: 0.2 },
      // Keep enough history for an environments page and post-mortems, not forever.
      removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
      removeOnFail: { age: 30 * 24 * 3600, count: 5000 },
    },
  });
  // The connection's own listeners (connectRedis) already report outages; without a listener
  // here an "error" event would be thrown.
  bull.on("error", (error) => log.debug({ err: error }, "queue connection error"));
  const defaultDelay = options.delayMs ?? 500;

  return {
    bull,
    async enqueueReconcile(envId, enqueueOptions = {}) {
      try {
        // An environment with no job waiting or running starts at once: the first event of a
        // quiet PR is not held back. Only events that find a job (a burst) wait to be collected.
        const delay = enqueueOptions.delayMs ?? ((await bull.getDeduplicationJobId(envId)) ? defaultDelay : 0);
        await bull.add(
          JOB_NAME,
          { envId },
          { delay, deduplication: { id: envId, keepLastIfActive: true, replace: true } },
        );
      } catch (error) {
        throw redisFailure(options.connection, error);
      }
      await replicated(options.connection, options.replicas ?? 0);
      log.debug({ envId }, "reconcile enqueued");
    },
    async queueCounts() {
      try {
        const counts = await bull.getJobCounts("waiting", "active", "delayed", "failed");
        return {
          waiting: counts.waiting ?? 0,
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
        };
      } catch (error) {
        throw redisFailure(options.connection, error);
      }
    },
    close: () => bull.close(),
  };
}

/**
 * Waits until the replicas hold what this connection wrote: as many as PRBOX_REDIS_REPLICAS asks,
 * but never more than are connected now. A primary left without a replica (after a failover of a
 * two-node group) goes on acknowledging: there is nothing a failover could promote in its place,
 * and the resync with the forges covers the rest (docs/reliability.md).
 */
async function replicated(connection: AnyRedis, wanted: number): Promise<void> {
  if (wanted === 0) return;
  let confirmed: number;
  let replicas: number;
  try {
    replicas = Math.min(wanted, await connectedReplicas(connection));
    if (replicas === 0) return;
    confirmed = await connection.wait(replicas, REPLICA_WAIT_MS);
  } catch (error) {
    throw redisFailure(connection, error);
  }
  if (confirmed >= replicas) return;
  throw new PrboxError(
    `Redis at ${locationOf(connection)}: ${String(confirmed)} of ${String(replicas)} replica(s) confirmed the write within ${String(REPLICA_WAIT_MS / 1000)} s (PRBOX_REDIS_REPLICAS); not acknowledged, so a failover cannot lose it (the forge redelivers)`,
    { kind: "transient" },
  );
}

/** ROLE on a primary: ["master", offset, [[host, port, offset], …]]. */
async function connectedReplicas(connection: AnyRedis): Promise<number> {
  const role = (await connection.call("ROLE")) as unknown[];
  return role[0] === "master" && Array.isArray(role[2]) ? role[2].length : 0;
}
