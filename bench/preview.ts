// Push to preview: the time from a pull_request webhook to "ready" posted on the PR, for the
// two-services-plus-ingress example (fixtures/preview-repo) and for the same example padded with
// ConfigMaps to 10, 100 and 500 objects; first deploy (opened) and re-deploy (a push). The split
// into fetch, render, apply, wait and report comes from prbox's own prbox_deploy_phase_seconds.
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { renderSpec } from "../src/core/render-spec.js";
import { WRITE_BURST } from "../src/forges/github/octokit.js";
import { histogramSums, readTree, startBenchApp, type BenchApp, type Files } from "./lib/app.js";
import { REPO_ROOT, withServices } from "./lib/services.js";
import { median, ms, table, verdict } from "./lib/stats.js";
import type { Benchmark } from "./run.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZES = (process.env.BENCH_PREVIEW_SIZES ?? "0,10,100,500").split(",").map(Number);
const PHASES = ["fetch", "render", "apply", "wait", "report"] as const;
const WORK = ["fetch", "render", "apply", "wait"] as const;
const GOAL = { totalMs: 3000, renderApplyShare: 0.1, exampleMs: 800 };

interface Sample {
  total: number;
  phases: Record<string, number>;
}

const newSha = () => randomBytes(20).toString("hex");

/** preview-repo plus ConfigMaps in its manifests box, `total` objects in all (0: as it is). */
function padded(files: Files, base: number, total: number): Files {
  const extra = Math.max(0, total - base);
  const doc = (i: number) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bench-${String(i)}\ndata:\n  sha: "\${PRBOX_SHORT_SHA}"\n  index: "${String(i)}"\n`;
  return extra === 0
    ? files
    : { ...files, "config/bench.yaml": Array.from({ length: extra }, (_, i) => doc(i)).join("---\n") };
}

async function baseObjects(): Promise<number> {
  const pr = { forge: "github", repo: "acme/shop", pr: 1, branch: "b", sha: "0".repeat(40) };
  return (await renderSpec({ file: "environment.toml", root: path.join(REPO_ROOT, "fixtures/preview-repo"), pr }))
    .objects.length;
}

async function untilReady(app: BenchApp, pr: number, sha: string, limitMs = 120_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const body = app.sticky(pr);
    if (body.includes("✅ ready") && body.includes(sha.slice(0, 7))) return;
    if (body.includes("❌")) throw new Error(`PR #${String(pr)} failed to deploy:\n${body}`);
    await sleep(5);
  }
  throw new Error(
    `PR #${String(pr)} was not ready at ${sha.slice(0, 7)} within ${String(limitMs / 1000)} s: ${app.sticky(pr)}`,
  );
}

const phaseSums = async (app: BenchApp) =>
  histogramSums(await app.metrics(), "prbox_deploy_phase_seconds", "phase", "sum");
const deploysSeen = async (app: BenchApp) =>
  histogramSums(await app.metrics(), "prbox_deploy_phase_seconds", "phase", "count").get("report") ?? 0;

/**
 * One deploy, timed from sending the delivery to the comment saying ready; phases from /metrics,
 * read once the whole "ready" report (comment, status, deployment status) went out, so the next
 * deploy does not queue behind this one's GitHub writes.
 */
async function timedDeploy(app: BenchApp, pr: number, sha: string, action: "opened" | "synchronize"): Promise<Sample> {
  // A developer's pushes are minutes apart, not seconds: let the installation's write bucket
  // (WRITE_BURST tokens, one back a second) fill up, as it would between two real pushes.
  await sleep(WRITE_BURST * 1000);
  const before = await phaseSums(app);
  const count = await deploysSeen(app);
  const started = performance.now();
  await app.send(pr, action);
  await untilReady(app, pr, sha);
  const total = performance.now() - started;
  while ((await deploysSeen(app)) <= count) await sleep(20);
  const after = await phaseSums(app);
  const phases = Object.fromEntries(PHASES.map((p) => [p, ((after.get(p) ?? 0) - (before.get(p) ?? 0)) * 1000]));
  return { total, phases };
}

async function measure(): Promise<Map<string, Sample[]>> {
  const fixture = await readTree(path.join(REPO_ROOT, "fixtures/preview-repo"));
  const base = await baseObjects();
  return withServices(async (services) => {
    const [redis, kubeconfig] = await Promise.all([services.redis(), services.cluster()]);
    const dir = await mkdtemp(path.join(os.tmpdir(), "prbox-bench-preview-"));
    const app = await startBenchApp(services, {
      redisUrl: redis.url,
      kubeconfig,
      logFile: path.join(dir, "prbox.log"),
    });
    const samples = new Map<string, Sample[]>();
    let pr = 100;
    for (const size of SIZES) {
      const files = padded(fixture, base, size);
      const objects = size === 0 ? base : Math.max(size, base);
      for (let run = size === SIZES[0] ? -1 : 0; run < RUNS; run++) {
        const first = newSha();
        await app.repo.push(first, files);
        app.repo.openPullRequest(++pr, { ref: `bench/${String(pr)}`, sha: first });
        const deployed = await timedDeploy(app, pr, first, "opened");
        const second = newSha();
        await app.repo.push(second, files);
        app.repo.pushToPullRequest(pr, second);
        const redeployed = await timedDeploy(app, pr, second, "synchronize");
        if (run < 0) continue; // warm-up: helm, API discovery, JIT
        samples.set(`${String(objects)} first`, [...(samples.get(`${String(objects)} first`) ?? []), deployed]);
        samples.set(`${String(objects)} re-deploy`, [
          ...(samples.get(`${String(objects)} re-deploy`) ?? []),
          redeployed,
        ]);
        console.error(
          `preview ${String(objects)} objects run ${String(run + 1)}: first ${ms(deployed.total)} ms ${JSON.stringify(deployed.phases)}, re-deploy ${ms(redeployed.total)} ms`,
        );
      }
    }
    return samples;
  });
}

function report(samples: Map<string, Sample[]>): string {
  let metTotal = true;
  let metShare = true;
  let metExample = true;
  const rows = [...samples].map(([key, runs]) => {
    const [objects, kind] = key.split(" ");
    const total = median(runs.map((s) => s.total));
    const phase = (p: string) => median(runs.map((s) => s.phases[p] ?? 0));
    const share = median(runs.map((s) => ((s.phases.render ?? 0) + (s.phases.apply ?? 0)) / s.total));
    const work = median(runs.map((s) => WORK.reduce((sum, p) => sum + (s.phases[p] ?? 0), 0)));
    metTotal &&= total < GOAL.totalMs;
    metShare &&= share < GOAL.renderApplyShare;
    if (objects === "7") metExample &&= total < GOAL.exampleMs;
    return [
      objects ?? "",
      kind ?? "",
      ms(total),
      ms(work),
      ...PHASES.map((p) => ms(phase(p))),
      `${(share * 100).toFixed(0)} %`,
    ];
  });
  return [
    `prbox in this process (server + worker as \`prbox start\` wires them, concurrency 4), a private Redis, the test control plane (kwok makes pods ready), GitHub faked with nock (the tarball is served from memory). fixtures/preview-repo: two helm service boxes, an ingress box and a manifests box; padded with ConfigMaps to 10, 100 and 500 objects. Time from sending the signed delivery to the sticky comment saying ready at that SHA; phases from prbox's \`prbox_deploy_phase_seconds\` histogram ("report" is the whole ready report: comment, commit status, deployment status; the comment is its first write). The rest of "webhook → ready posted" is the intake, the "deploying" report's writes, which go first, and the handover between them (the first event of a quiet environment is not held back by the queue's 500 ms collection delay). GitHub writes pass a token bucket per installation (${String(WRITE_BURST)} at once, then one a second, src/forges/github/octokit.ts); each deploy starts after ${String(WRITE_BURST)} s without writes, as a push minutes after the last one would. Medians of ${String(RUNS)} runs after a warm-up, ms.`,
    "",
    table(
      [
        "objects",
        "deploy",
        "webhook → ready posted",
        "fetch+render+apply+wait",
        ...PHASES.map((p) => (p === "report" ? "report (3 writes)" : p)),
        "render+apply share",
      ],
      rows,
    ),
    "",
    verdict(metTotal, `under ${String(GOAL.totalMs / 1000)} s from webhook to ready posted, for 10 to 500 objects`),
    "",
    verdict(metExample, `under ${String(GOAL.exampleMs)} ms from webhook to ready posted for the 7-object example`),
    "",
    verdict(metShare, `render + apply under ${String(GOAL.renderApplyShare * 100)} % of webhook → ready posted`),
    "",
    "The render + apply share cannot fall far while the rest shrinks too: render (one `helm template` process per helm box, ~150–250 ms) and apply (one server-side apply request per object) are most of what is left.",
  ].join("\n");
}

export const previewBenchmark: Benchmark = {
  name: "preview",
  title: "Push to preview",
  run: async () => report(await measure()),
};
