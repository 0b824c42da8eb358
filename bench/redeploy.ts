// Re-deploys on the test control plane, straight through src/cluster (no bot, no render): an
// environment of 100 and 500 objects (ConfigMaps, a few Deployments and Services) deployed once,
// then re-deployed unchanged, with one object changed, and with every object changed; and the
// server-side dry run that checks every changed object before anything is applied, alone.
// Medians of several runs after a warm-up; wall time of the whole deployEnvironment call.
import { KubeConfig } from "@kubernetes/client-node";
import { checkObjects } from "../src/cluster/check.js";
import { clusterFromKubeConfig, deployEnvironment, type Cluster } from "../src/cluster/index.js";
import { prepareObjects } from "../src/cluster/prepare.js";
import { withAppliedHash } from "../src/cluster/unchanged.js";
import { silentLogger } from "../src/log.js";
import type { KubeObject, RenderedEnvironment } from "../src/model.js";
import { withServices } from "./lib/services.js";
import { medianTime, ms, table, verdict } from "./lib/stats.js";
import type { Benchmark } from "./run.js";

const RUNS = Math.max(3, Number(process.env.BENCH_RUNS ?? 5));
const SIZES = (process.env.BENCH_REDEPLOY_SIZES ?? "100,500").split(",").map(Number);
const GOAL_MS = 300;

function objectsOf(total: number, version: number, changedOne = -1): KubeObject[] {
  const workloads = Math.max(1, Math.round(total / 20));
  const objects: KubeObject[] = [];
  for (let i = 0; i < workloads; i++) {
    const labels = { app: `web-${String(i)}` };
    const container = {
      name: "web",
      image: "registry.example.com/web:1.0",
      ports: [{ containerPort: 8080 }],
      env: [{ name: "VERSION", value: String(version) }],
    };
    objects.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: `web-${String(i)}` },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [container] } },
      },
    });
    objects.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `web-${String(i)}` },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    });
  }
  for (let i = objects.length; i < total; i++) {
    const data = { index: String(i), version: String(i === changedOne ? version + 1000 : version) };
    objects.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${String(i)}` }, data });
  }
  return objects;
}

function environmentOf(id: string, objects: readonly KubeObject[]): RenderedEnvironment {
  const pr = { forge: "github", repo: "acme/shop", pr: 1, branch: "bench", sha: "0123456789abcdef" };
  return {
    environment: { id, name: id, namespace: id, extraNamespaces: [], url: null, mode: "pr", pr },
    boxes: ["bench"],
    objects: objects.map((object) => ({
      object: { ...object, metadata: { ...object.metadata, namespace: id } },
      box: "bench",
      source: `templates/${object.metadata.name}.yaml`,
      phase: "main" as const,
      deletePolicies: [],
    })),
    warnings: [],
  };
}

interface Row {
  size: number;
  first: number;
  unchanged: number;
  skipped: number;
  one: number;
  all: number;
  dryRun: number;
}

async function measureSize(cluster: Cluster, size: number): Promise<Row> {
  const id = `bench-redeploy-${String(size)}`;
  const deploy = (rendered: RenderedEnvironment) =>
    deployEnvironment(cluster, rendered, { wait: false, timeoutMs: 120_000 });
  const same = environmentOf(id, objectsOf(size, 0));
  const started = performance.now();
  await deploy(same);
  const first = performance.now() - started;

  let skipped = 0;
  const unchanged = await medianTime(async () => {
    skipped = (await deploy(same)).unchanged.length;
  }, RUNS);
  // Each run changes one ConfigMap to a new value, so every run has exactly one change to apply.
  let round = 0;
  const one = await medianTime(() => deploy(environmentOf(id, objectsOf(size, 0, size - 1 - (round++ % 2)))), RUNS);
  let version = 1;
  const all = await medianTime(() => deploy(environmentOf(id, objectsOf(size, version++))), RUNS);

  const prepared = (await prepareObjects(cluster, environmentOf(id, objectsOf(size, version + 1)))).map((p) => ({
    ...p,
    object: withAppliedHash(p.object),
  }));
  const options = { concurrency: 24, timeoutMs: 120_000, log: silentLogger };
  const dryRun = await medianTime(() => checkObjects(cluster, id, prepared, new Set(), options), RUNS);
  await cluster.core.deleteNamespace({ name: id }).catch(() => undefined);
  return { size, first, unchanged, skipped, one, all, dryRun };
}

async function measure(): Promise<string> {
  const rows = await withServices(async (services) => {
    const kc = new KubeConfig();
    kc.loadFromFile(await services.cluster());
    const cluster = clusterFromKubeConfig(kc);
    const measured: Row[] = [];
    for (const size of SIZES) measured.push(await measureSize(cluster, size));
    return measured;
  });
  const intro = [
    `deployEnvironment on the test control plane, no readiness wait, median of ${String(RUNS)} runs after a warm-up (the first deploy: one run).`,
    "An unchanged re-deploy lists each kind once and sends no object; a changed one dry-runs, then applies, only the changed objects.",
    '"dry run alone" is the check of every object (a server-side dry run each) that a re-deploy of all objects pays before applying them.',
  ].join(" ");
  const body = table(
    [
      "objects",
      "first deploy ms",
      "unchanged re-deploy ms",
      "skipped",
      "one changed ms",
      "all changed ms",
      "dry run alone ms",
    ],
    rows.map((r) => [
      String(r.size),
      ms(r.first),
      ms(r.unchanged),
      String(r.skipped),
      ms(r.one),
      ms(r.all),
      ms(r.dryRun),
    ]),
  );
  const largest = rows.find((r) => r.size === 500);
  const goal = largest
    ? verdict(
        largest.unchanged < GOAL_MS && largest.skipped === 500,
        `an unchanged re-deploy of 500 objects sends none of them and takes under ${String(GOAL_MS)} ms`,
      )
    : "";
  return `${intro}\n\n${body}\n\n${goal}`;
}

export const redeployBenchmark: Benchmark = { name: "redeploy", title: "Re-deploy", run: measure };
