import { checkBaselineSettings } from "../cluster/index.js";
import { ConfigError } from "../config/config.js";
import { reconcile, type DeployPhases, type ReconcileDeps } from "../core/reconcile.js";
import { sweep } from "../core/sweep.js";
import { connectRedis, startReconcileWorker } from "../queue/index.js";
import type { Metrics } from "../server/metrics.js";
import { startResync } from "./resync.js";
import type { Runtime } from "./runtime.js";
import type { Stoppable } from "./server.js";

/** The reconcile worker: takes jobs from the queue and makes the cluster and the PRs match. */
export async function startWorker(rt: Runtime): Promise<Stoppable> {
  const { config, log, metrics } = rt;
  await checkBaseline(rt);
  const connection = await connectRedis(config.redisUrl, { role: "worker", log });
  const worker = await startReconcileWorker({
    connection,
    prefix: config.redisPrefix,
    concurrency: config.workerConcurrency,
    lockDurationMs: config.jobLockMs,
    stalledIntervalMs: config.stalledIntervalMs,
    log,
    handler: async (envId, job) => {
      const started = Date.now();
      const seconds = () => (Date.now() - started) / 1000;
      try {
        // The cluster is connected inside reconcile, after the PR heard of the job: an unreachable
        // API server is reported on the PR like any other failure, not retried in silence.
        const deps: ReconcileDeps = {
          store: rt.store,
          forges: rt.forges,
          queue: rt.queue,
          cluster: () => rt.cluster(),
          policy: config.policy,
          log: job.log,
          onPhases: (phases) => observePhases(metrics, phases),
          baseline: config.baseline,
        };
        const outcome = await reconcile(envId, deps, { nextAttempt: job.nextAttempt });
        metrics.jobs.inc({ outcome });
        if (outcome === "deployed") metrics.deployDuration.observe({ outcome: "ready" }, seconds());
        return outcome;
      } catch (error) {
        metrics.jobs.inc({ outcome: "failed" });
        metrics.deployDuration.observe({ outcome: "failed" }, seconds());
        throw error;
      }
    },
  });
  const sweeper = setInterval(() => void sweepOnce(rt), config.policy.sweepIntervalMs);
  sweeper.unref();
  const resyncer = startResync(rt);
  return {
    async stop() {
      clearInterval(sweeper);
      await resyncer.stop();
      await worker.close();
      connection.disconnect();
    },
  };
}

/** How long the start-up check of the baseline may wait for the cluster before the worker starts anyway. */
const BASELINE_CHECK_MS = 15_000;

/**
 * A setting of the baseline the cluster contradicts (no such source namespace) stops the worker.
 * Only copied Secrets need the cluster for it, and a cluster that does not answer must not keep
 * the worker from taking jobs: their reports on the PRs say what is wrong.
 */
async function checkBaseline(rt: Runtime): Promise<void> {
  if (!rt.config.baseline.secrets) return;
  const check = rt.cluster().then((cluster) => checkBaselineSettings(cluster, rt.config.baseline));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), BASELINE_CHECK_MS);
  });
  try {
    if ((await Promise.race([check, late])) === "late") {
      check.catch((error: unknown) => rt.log.warn({ err: error }, "the baseline's start-up check failed late"));
      rt.log.warn("the cluster did not answer the baseline's start-up check in time; starting anyway");
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // An unreachable cluster is no setting's fault: the deploys report it, /readyz says so.
    rt.log.warn({ err: error }, "could not check the baseline's settings against the cluster at start-up");
  } finally {
    clearTimeout(timer);
  }
}

function observePhases(metrics: Metrics, phases: DeployPhases): void {
  for (const [phase, ms] of Object.entries(phases)) metrics.deployPhase.observe({ phase }, ms / 1000);
}

/** One sweep per interval across all workers: the first to take the lock sweeps. */
async function sweepOnce(rt: Runtime): Promise<void> {
  const { config, log } = rt;
  try {
    const lock = await rt.redis.set(
      `${config.redisPrefix}:sweep-lock`,
      String(process.pid),
      "PX",
      Math.max(1000, config.policy.sweepIntervalMs - 1000),
      "NX",
    );
    if (lock !== "OK") return;
    await sweep({
      store: rt.store,
      queue: rt.queue,
      forges: rt.forges,
      policy: config.policy,
      log: log.child({ component: "sweep" }),
    });
  } catch (error) {
    log.warn({ err: error }, "the sweep failed; it runs again at the next interval");
  }
}
