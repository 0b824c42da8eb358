import { reconcile } from "../core/reconcile.js";
import { connectRedis, startReconcileWorker } from "../queue/index.js";
import type { Runtime } from "./runtime.js";
import type { Stoppable } from "./server.js";

/** The reconcile worker: takes jobs from the queue and makes the cluster and the PRs match. */
export async function startWorker(rt: Runtime): Promise<Stoppable> {
  const { config, log, metrics } = rt;
  const connection = await connectRedis(config.redisUrl, { role: "worker", log });
  const worker = await startReconcileWorker({
    connection,
    prefix: config.redisPrefix,
    concurrency: config.workerConcurrency,
    log,
    handler: async (envId, job) => {
      const started = Date.now();
      const seconds = () => (Date.now() - started) / 1000;
      try {
        const cluster = await rt.cluster();
        const deps = { store: rt.store, forges: rt.forges, cluster, policy: config.policy, log: job.log };
        const outcome = await reconcile(envId, deps, { signal: job.signal, finalAttempt: job.finalAttempt });
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
  log.info({ concurrency: config.workerConcurrency }, "reconcile worker started");
  return {
    async stop() {
      await worker.close();
      connection.disconnect();
    },
  };
}
