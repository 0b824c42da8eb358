import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** prbox's Prometheus metrics, on a registry of their own (no global default registry). */
export interface Metrics {
  registry: Registry;
  deliveries: Counter<"forge" | "event" | "result">;
  jobs: Counter<"outcome">;
  deployDuration: Histogram<"outcome">;
  deployPhase: Histogram<"phase">;
  liveEnvironments: Gauge;
}

export function createMetrics(options: { liveEnvironments?: () => Promise<number> } = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "prbox_process_" });
  const count = options.liveEnvironments;
  return {
    registry,
    deliveries: new Counter({
      name: "prbox_webhook_deliveries_total",
      help: "Webhook deliveries by forge, event and what prbox did with them",
      labelNames: ["forge", "event", "result"],
      registers: [registry],
    }),
    jobs: new Counter({
      name: "prbox_reconcile_jobs_total",
      help: "Reconcile jobs by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    deployDuration: new Histogram({
      name: "prbox_deploy_duration_seconds",
      help: "Time from a reconcile job's start to its environment being ready or failed",
      labelNames: ["outcome"],
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    deployPhase: new Histogram({
      name: "prbox_deploy_phase_seconds",
      help: "Time a successful deploy spent in each phase: fetch (sources), render, apply (hooks, prune), wait (readiness), test (the chart's tests, when a box runs them), report",
      labelNames: ["phase"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    liveEnvironments: new Gauge({
      name: "prbox_live_environments",
      help: "Environments that should be deployed",
      registers: [registry],
      async collect() {
        if (count) this.set(await count());
      },
    }),
  };
}
