// Scale: bursts of pull requests opened within a second, up to 200 live environments of one
// ConfigMap and one Deployment each, on the test control plane. After each burst: the time
// until every environment of the burst is ready, jobs lost (must be 0), the bot's memory
// (RSS, heap after a GC), and one periodic sweep (src/core/sweep.ts) timed, with the GitHub
// API requests it makes counted by the fake GitHub.
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import v8 from "node:v8";
import vm from "node:vm";
import { sweep } from "../src/core/sweep.js";
import type { FakeRepository } from "../test/support/fake-github.js";
import { startBenchApp, type BenchApp, type Files } from "./lib/app.js";
import { withServices } from "./lib/services.js";
import { mib, ms, seconds, table, verdict } from "./lib/stats.js";
import type { Benchmark } from "./run.js";

const TOTALS = (process.env.BENCH_SCALE_TOTALS ?? "25,50,100,200").split(",").map(Number);
const CONCURRENCY = 8;
const READY_LIMIT_MS = 600_000;

interface Step {
  total: number;
  burst: number;
  sendMs: number;
  allReadyMs: number;
  lost: number;
  rssMiB: number;
  heapMiB: number;
  sweepMs: number;
  sweepRequests: number;
  writesPerDeploy: number;
}

const FILES: Files = {
  "environment.toml": '[[boxes]]\ntype = "manifests"\nchart = "k8s"\nname = "app"\n',
  "k8s/app.yaml": [
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  sha: "${PRBOX_SHORT_SHA}"\n',
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: { app: web }\n  template:\n    metadata:\n      labels: { app: web }\n    spec:\n      terminationGracePeriodSeconds: 0\n      containers:\n        - name: web\n          image: nginx:1.27\n",
  ].join("---\n"),
};

/** A request Octokit paces as a write (installation tokens go through another limiter). */
const isWrite = (r: { method: string; url: string }) => r.method !== "GET" && !r.url.includes("/access_tokens");

function collectGarbage(): void {
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

/** Opens one PR per repository (each repository its own installation), all deliveries at once. */
async function burst(app: BenchApp, repos: FakeRepository[]): Promise<number> {
  await Promise.all(
    repos.map(async (repo) => {
      const sha = randomBytes(20).toString("hex");
      await repo.push(sha, FILES);
      repo.openPullRequest(1, { ref: "feature/scale", sha });
    }),
  );
  const sending = performance.now();
  await Promise.all(repos.map((repo) => app.send(1, "opened", repo)));
  return performance.now() - sending;
}

async function untilAllReady(app: BenchApp, repos: FakeRepository[]): Promise<{ lost: number }> {
  const started = performance.now();
  let ready = 0;
  while (performance.now() - started < READY_LIMIT_MS) {
    ready = repos.filter((repo) => app.sticky(1, repo).includes("✅ ready")).length;
    const failed = repos.filter((repo) => app.sticky(1, repo).includes("❌"));
    if (failed.length > 0)
      throw new Error(`${String(failed.length)} environments failed, e.g.:\n${app.sticky(1, failed[0])}`);
    if (ready === repos.length) break;
    await sleep(100);
  }
  return { lost: repos.length - ready };
}

/** Until every job is done (the "ready" report's last writes included). */
async function untilQuiet(app: BenchApp): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const counts = await app.rt.queue.queueCounts();
    if (counts.waiting + counts.active + counts.delayed === 0) return;
    await sleep(200);
  }
}

async function timedSweep(app: BenchApp): Promise<{ ms: number; requests: number }> {
  const before = app.github.requests.length;
  const started = performance.now();
  const { rt } = app;
  const result = await sweep({
    store: rt.store,
    queue: rt.queue,
    forges: rt.forges,
    policy: rt.config.policy,
    log: rt.log,
  });
  if (result.closed.length + result.idle.length + result.unknown.length > 0)
    throw new Error(`the sweep found something to do: ${JSON.stringify(result)}`);
  return { ms: performance.now() - started, requests: app.github.requests.length - before };
}

async function measure(): Promise<Step[]> {
  return withServices(async (services) => {
    const [redis, kubeconfig] = await Promise.all([services.redis(), services.cluster()]);
    const dir = await mkdtemp(path.join(os.tmpdir(), "prbox-bench-scale-"));
    const max = Math.max(...TOTALS);
    const app = await startBenchApp(services, {
      redisUrl: redis.url,
      kubeconfig,
      logFile: path.join(dir, "prbox.log"),
      installations: max,
      env: { PRBOX_WORKER_CONCURRENCY: String(CONCURRENCY), PRBOX_SWEEP_INTERVAL: "24h", PRBOX_DEPLOY_TIMEOUT: "300s" },
    });
    const steps: Step[] = [];
    let live = 0;
    for (const total of TOTALS) {
      const repos = app.repos.slice(live, total);
      const writesBefore = app.github.requests.filter(isWrite).length;
      const started = performance.now();
      const sendMs = await burst(app, repos);
      const ready = await untilAllReady(app, repos);
      const allReadyMs = performance.now() - started;
      await untilQuiet(app);
      const writes = app.github.requests.filter(isWrite).length - writesBefore;
      live = total;
      collectGarbage();
      const memory = process.memoryUsage();
      const swept = await timedSweep(app);
      const step = {
        total,
        burst: repos.length,
        sendMs,
        allReadyMs,
        lost: ready.lost,
        rssMiB: memory.rss,
        heapMiB: memory.heapUsed,
        sweepMs: swept.ms,
        sweepRequests: swept.requests,
        writesPerDeploy: writes / repos.length,
      };
      steps.push(step);
      console.error(
        `scale ${String(total)} live: burst of ${String(repos.length)} sent in ${ms(sendMs)} ms, all ready after ${seconds(allReadyMs)} s, lost ${String(ready.lost)}, rss ${mib(memory.rss)} MiB, heap ${mib(memory.heapUsed)} MiB, sweep ${ms(swept.ms)} ms / ${String(swept.requests)} requests`,
      );
    }
    return steps;
  });
}

function report(steps: Step[]): string {
  const rows = steps.map((s) => [
    String(s.total),
    String(s.burst),
    ms(s.sendMs),
    seconds(s.allReadyMs, 1),
    String(s.lost),
    mib(s.rssMiB),
    mib(s.heapMiB),
    ms(s.sweepMs),
    String(s.sweepRequests),
  ]);
  const writes =
    steps.reduce((sum, s) => sum + s.writesPerDeploy * s.burst, 0) /
    Math.max(
      1,
      steps.reduce((sum, s) => sum + s.burst, 0),
    );
  const lost = steps.reduce((sum, s) => sum + s.lost, 0);
  return [
    `prbox in this process (server + worker, worker concurrency ${String(CONCURRENCY)}), a private Redis, the test control plane; environments of one ConfigMap and one Deployment (1 replica; kwok makes the pod ready). Each row adds a burst of PRs whose deliveries are all sent at once (the "sent in" column), until 25, 50, 100 and 200 environments are live. Every PR is in a repository of its own installation: GitHub writes pass a token bucket *per installation* (8 at once, then one a second, as GitHub asks of clients that make many), so this measures prbox, not GitHub's pacing. RSS and heap are this whole process (bot, fake GitHub, benchmark) after a GC. The sweep is one run of src/core/sweep.ts over every live environment; "API requests" are the GitHub requests it made. One run (the figures are totals, not medians).`,
    "",
    table(
      [
        "live environments",
        "burst",
        "burst sent in ms",
        "first delivery → all of the burst ready, s",
        "lost",
        "RSS MiB",
        "heap MiB",
        "sweep ms",
        "sweep API requests",
      ],
      rows,
    ),
    "",
    `- GitHub writes per deploy: ${writes.toFixed(1)} (comment, commit statuses, deployment and its statuses). With all PRs in **one** installation, the sustained pace of 1 write/s makes ${writes.toFixed(1)} s per environment the floor: a burst of 200 PRs in one repository needs at least ${((writes * 200) / 60).toFixed(0)} minutes until the last is reported ready, whatever prbox does.`,
    `- ${verdict(lost === 0, "no job lost in any burst")}`,
  ].join("\n");
}

export const scaleBenchmark: Benchmark = {
  name: "scale",
  title: "Scale",
  run: async () => report(await measure()),
};
