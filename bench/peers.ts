// Against the peers, side by side in one run on the same cluster, for k8sbox's example
// environment (fixtures/k8sbox-example: two service boxes and an ingress box): `prbox run`,
// `k8sbox run` (v1.2.1, built from its source by scripts/install-k8sbox) followed by `kubectl wait
// --for=condition=available`, `helm upgrade --install` per box (sequential, --wait), and `helm
// template` of each box piped into `kubectl apply --server-side`, followed by `kubectl wait`.
// First deploy into a fresh namespace, then an unchanged re-deploy; every tool waits until the
// Deployments are available. Medians of 5 interleaved rounds, ratios to prbox.
import { existsSync, statSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { parse as parseToml } from "smol-toml";
import { timed } from "./lib/command.js";
import { toolVersion } from "./lib/machine.js";
import { REPO_ROOT, withServices } from "./lib/services.js";
import { median, ms, ratio, table, verdict } from "./lib/stats.js";
import type { Benchmark } from "./run.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Without k8sbox: prbox's variant of k8sbox's example (same layout, a values file that k8sbox cannot use). */
const FIXTURE = path.join(REPO_ROOT, "fixtures/k8sbox-example");

type Tool = "prbox" | "k8sbox" | "helm" | "kubectl";
const LABELS: Record<Tool, string> = {
  prbox: "prbox run",
  k8sbox: "k8sbox run + kubectl wait",
  helm: "helm upgrade --install --wait",
  kubectl: "helm template | kubectl apply + kubectl wait",
};
/** What k8sbox 1.2.1 leaves broken, read from its source (docs/coming-from-k8sbox.md), not measured here. */
const K8SBOX_DEFECTS =
  'Where k8sbox 1.2.1 is not correct (from its source code; see docs/coming-from-k8sbox.md): the `values` file is not used for rendering and values become strings (`replicas: 2` → `"2"`); an unknown `${VAR}` becomes an empty string (broken names fail much later); a re-deploy uninstalls and installs again (downtime, PersistentVolumeClaims lost on every push); it reports done when helm returns, without waiting for the workloads; a missing `id` or `namespace` becomes a random `k8srun-xxxxxxxx`, so re-running does not reach the same environment.';

/** Which example the run deployed, for the report. */
let exampleName = "";

/** What `prbox run` says it spent applying and waiting; the rest is start-up and rendering. */
const prboxSplits: { first: boolean; total: number; apply: number; wait: number }[] = [];
interface Deploy {
  first: number;
  again: number;
}
interface Box {
  name: string;
  /** The chart's directory, relative to the example. */
  dir: string;
}
interface Context {
  kubeconfig: string;
  dir: string;
  /** The example environment every tool deploys: its environment.toml, .env and chart directories. */
  example: string;
  boxes: Box[];
  helm: string;
  kubectl: string;
  k8sbox: string | null;
  env: NodeJS.ProcessEnv;
}

async function tools(): Promise<{ helm: string; kubectl: string; k8sbox: string | null; k8sboxWhy: string }> {
  const helm = (await timed(path.join(REPO_ROOT, "scripts/install-helm"), [])).stdout.trim();
  const kubectl = path.join(path.dirname(path.dirname(helm)), "kubectl-v1.33.9", "kubectl");
  try {
    const k8sbox = (await timed(path.join(REPO_ROOT, "scripts/install-k8sbox"), [])).stdout.trim();
    return { helm, kubectl, k8sbox, k8sboxWhy: "" };
  } catch (error) {
    return { helm, kubectl, k8sbox: null, k8sboxWhy: error instanceof Error ? error.message : String(error) };
  }
}

/** dist/ is what `prbox` runs: rebuild it when a source is newer. */
async function freshDist(): Promise<void> {
  const built = path.join(REPO_ROOT, "dist/prbox.js");
  const newest = (
    await timed("find", [path.join(REPO_ROOT, "src"), "-newer", built, "-name", "*.ts"]).catch(() => ({ stdout: "x" }))
  ).stdout.trim();
  if (existsSync(built) && statSync(built).size > 0 && newest === "") return;
  console.error("building dist/ for the prbox CLI");
  await timed(process.execPath, [path.join(REPO_ROOT, "scripts/build.mjs")], { cwd: REPO_ROOT });
}

/**
 * k8sbox's own example (installed beside the binary by scripts/install-k8sbox), copied inside the
 * repository (prbox refuses a spec outside its sources root) with one environment.toml: the header of
 * example_environment.toml and the boxes of example_boxes.toml, which it loads over HTTP upstream.
 */
async function k8sboxExample(k8sbox: string, dir: string): Promise<string> {
  const example = path.join(dir, "k8sbox-example");
  await cp(path.join(path.dirname(k8sbox), "examples/environments"), example, { recursive: true });
  const header =
    (await readFile(path.join(example, "example_environment.toml"), "utf8")).split(/^load_boxes_from/m)[0] ?? "";
  const boxes = await readFile(path.join(example, "example_boxes.toml"), "utf8");
  await writeFile(
    path.join(example, "environment.toml"),
    `${header}\n${boxes}\n`.replaceAll("${PWD}/examples/environments", example),
  );
  return example;
}

async function boxesOf(example: string): Promise<Box[]> {
  const spec = parseToml(await readFile(path.join(example, "environment.toml"), "utf8")) as {
    boxes: { name: string; chart: string }[];
  };
  return spec.boxes.map((box) => ({
    name: box.name,
    dir: path.relative(example, path.dirname(box.chart.replace("${PWD}", REPO_ROOT))),
  }));
}

/** The example's spec with its own id and namespace, so every run starts from a fresh namespace. */
async function specFor(ctx: Context, namespace: string): Promise<string> {
  const text = (await readFile(path.join(ctx.example, "environment.toml"), "utf8"))
    .replace(/^id = .*$/m, `id = "${namespace}"`)
    .replace(/^namespace = .*$/m, `namespace = "${namespace}"`);
  const file = path.join(ctx.dir, `${namespace}.toml`);
  await writeFile(file, text);
  return file;
}

/** The values files as prbox and k8sbox users mean them: ${VAR} from the example's .env. */
async function interpolatedValues(ctx: Context, box: string): Promise<string> {
  const vars = parseDotenv(await readFile(path.join(ctx.example, ".env")));
  const text = (await readFile(path.join(ctx.example, box, "values.yaml"), "utf8")).replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
    (_, name: string) => vars[name] ?? "",
  );
  const file = path.join(ctx.dir, `${box}-values.yaml`);
  await writeFile(file, text);
  return file;
}

const deployers: Record<Tool, (ctx: Context, namespace: string, first: boolean) => Promise<number>> = {
  async prbox(ctx, namespace, first) {
    const spec = await specFor(ctx, namespace);
    const result = await timed(
      process.execPath,
      [path.join(REPO_ROOT, "bin/prbox.js"), "run", "-f", spec, "--timeout", "2m"],
      { cwd: REPO_ROOT, env: ctx.env },
    );
    // "applied 5 objects, pruned 0, in 0.4s (+0.1s waiting)": prbox's own split of the deploy.
    const split = /in ([\d.]+)s \(\+([\d.]+)s waiting\)/.exec(result.stdout);
    if (split)
      prboxSplits.push({ first, total: result.ms, apply: Number(split[1]) * 1000, wait: Number(split[2]) * 1000 });
    return result.ms;
  },
  async k8sbox(ctx, namespace) {
    const spec = await specFor(ctx, namespace);
    // k8sbox returns when helm has installed, without waiting for the workloads: kubectl waits.
    const run = await timed(ctx.k8sbox ?? "k8sbox", ["run", "environment", "-f", spec], {
      cwd: REPO_ROOT,
      env: ctx.env,
    });
    return run.ms + (await waitAvailable(ctx, namespace));
  },
  async helm(ctx, namespace) {
    let total = 0;
    for (const box of ctx.boxes) {
      const values = await interpolatedValues(ctx, box.dir);
      const args = [
        "upgrade",
        "--install",
        box.name,
        path.join(ctx.example, box.dir),
        "-f",
        values,
        "-n",
        namespace,
        "--create-namespace",
        "--wait",
        "--timeout",
        "2m",
      ];
      total += (await timed(ctx.helm, args, { env: ctx.env })).ms;
    }
    return total;
  },
  async kubectl(ctx, namespace, first) {
    // What a shell user writes: every box's `helm template` into one `kubectl apply --server-side`.
    const templates: string[] = [];
    for (const box of ctx.boxes) {
      const values = await interpolatedValues(ctx, box.dir);
      templates.push(
        [ctx.helm, "template", box.name, path.join(ctx.example, box.dir), "-f", values, "-n", namespace]
          .map(shellWord)
          .join(" "),
      );
    }
    const apply = [ctx.kubectl, "apply", "--server-side", "--field-manager=bench", "-n", namespace, "-f", "-"]
      .map(shellWord)
      .join(" ");
    let total = first ? (await timed(ctx.kubectl, ["create", "namespace", namespace], { env: ctx.env })).ms : 0;
    total += (await timed("bash", ["-c", `set -o pipefail; { ${templates.join("; ")}; } | ${apply}`], { env: ctx.env }))
      .ms;
    return total + (await waitAvailable(ctx, namespace));
  },
};

const shellWord = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;

async function waitAvailable(ctx: Context, namespace: string): Promise<number> {
  return (
    await timed(
      ctx.kubectl,
      ["wait", "--for=condition=available", "deployment", "--all", "-n", namespace, "--timeout=2m"],
      { env: ctx.env },
    )
  ).ms;
}

async function measure(): Promise<{ results: Map<Tool, Deploy[]>; notes: string[] }> {
  await freshDist();
  const found = await tools();
  return withServices(async (services) => {
    const kubeconfig = await services.cluster();
    // Inside the repository: prbox refuses a spec outside its sources root (the working directory).
    const dir = await mkdtemp(path.join(REPO_ROOT, ".bench-peers-"));
    services.add("the specs' directory", () => rm(dir, { recursive: true, force: true }));
    const example = found.k8sbox ? await k8sboxExample(found.k8sbox, dir) : FIXTURE;
    exampleName = found.k8sbox
      ? "k8sbox v1.2.1's own example (examples/environments, Values.yaml renamed values.yaml)"
      : "fixtures/k8sbox-example";
    const ctx: Context = {
      kubeconfig,
      dir,
      example,
      boxes: await boxesOf(example),
      ...found,
      env: { ...process.env, KUBECONFIG: kubeconfig },
    };
    const chosen: Tool[] = found.k8sbox ? ["prbox", "k8sbox", "helm", "kubectl"] : ["prbox", "helm", "kubectl"];
    const results = new Map<Tool, Deploy[]>();
    // Interleaved, warm-up round first, so a slow phase of the machine hits every tool alike.
    for (let run = -1; run < RUNS; run++) {
      for (const tool of chosen) {
        const namespace = `peer-${tool}-${String(run + 1)}`;
        const first = await deployers[tool](ctx, namespace, true);
        const again = await deployers[tool](ctx, namespace, false);
        if (run >= 0) results.set(tool, [...(results.get(tool) ?? []), { first, again }]);
        console.error(`peers ${tool} run ${String(run + 1)}: first ${ms(first)} ms, re-deploy ${ms(again)} ms`);
      }
    }
    const notes = [
      `helm ${toolVersion(found.helm, ["version", "--short"])}, kubectl ${toolVersion(found.kubectl, ["version", "--client"]).replace("Client Version: ", "")}`,
    ];
    if (!found.k8sbox)
      notes.push(
        `**k8sbox v1.2.1 was not run**: \`scripts/install-k8sbox\` could not build it here. ${found.k8sboxWhy.split("\n").slice(0, 3).join(" ").replace(/\s+/g, " ")}`,
      );
    notes.push(K8SBOX_DEFECTS);
    return { results, notes };
  });
}

function report(results: Map<Tool, Deploy[]>, notes: string[]): string {
  const med = (tool: Tool, key: keyof Deploy) => median((results.get(tool) ?? []).map((d) => d[key]));
  const prbox = { first: med("prbox", "first"), again: med("prbox", "again") };
  const rows = [...results.keys()].map((tool) => [
    LABELS[tool].replaceAll("|", "\\|"),
    ms(med(tool, "first")),
    ms(med(tool, "again")),
    ratio(med(tool, "first"), prbox.first),
    ratio(med(tool, "again"), prbox.again),
  ]);
  const fastestAgain = Math.min(med("helm", "again"), med("kubectl", "again"));
  const goals = [
    verdict(
      prbox.first <= 1.2 * med("kubectl", "first"),
      `prbox's first deploy within 1.2× of helm template | kubectl apply + kubectl wait (${ratio(prbox.first, med("kubectl", "first"))})`,
    ),
    verdict(
      prbox.again < fastestAgain,
      `prbox faster than both on an unchanged re-deploy (${ratio(prbox.again, fastestAgain)})`,
    ),
  ];
  if (results.has("k8sbox")) {
    const against = `prbox ÷ k8sbox: first deploy ${ratio(prbox.first, med("k8sbox", "first"))}, re-deploy ${ratio(prbox.again, med("k8sbox", "again"))}`;
    goals.push(
      verdict(
        prbox.first < med("k8sbox", "first") && prbox.again < med("k8sbox", "again"),
        `prbox faster than k8sbox on first deploy and re-deploy (${against})`,
      ),
    );
  }
  const split = (first: boolean) => {
    const runs = prboxSplits.slice(2).filter((s) => s.first === first); // without the warm-up round
    const apply = median(runs.map((s) => s.apply));
    const wait = median(runs.map((s) => s.wait));
    return `${first ? "first deploy" : "re-deploy"}: ${ms(apply)} ms applying (extra namespaces, hooks, apply, prune, records), ${ms(wait)} ms waiting, ${ms(median(runs.map((s) => s.total - s.apply - s.wait)))} ms start-up, rendering (3 \`helm template\` processes) and the steps before the apply (discovery, namespace record)`;
  };
  notes.unshift(
    `Where \`prbox run\`'s time goes (medians, from its own output): ${split(true)}; ${split(false)}. The kubectl row includes its \`helm template\` runs (one after the other, piped into one \`kubectl apply --server-side\`), and k8sbox's includes the \`kubectl wait\` after it.`,
  );
  return [
    `${exampleName} (3 helm boxes: 2 Deployments, 2 Services, 1 Ingress) on one test control plane, each tool as a separate process from the command line, waiting until the Deployments are available. "first" = into a new namespace, "re-deploy" = the same command again with nothing changed. helm gets the values files with the .env variables substituted (helm itself does not interpolate). kubectl = \`helm template\` of each box | \`kubectl apply --server-side\`, then \`kubectl wait --for=condition=available\`; k8sbox = \`k8sbox run\`, then the same \`kubectl wait\`. Median of ${String(RUNS)} runs after a warm-up round, tools interleaved; ms; ratio = tool ÷ prbox (above 1 means prbox is faster).`,
    "",
    table(["tool", "first deploy ms", "re-deploy ms", "first ÷ prbox", "re-deploy ÷ prbox"], rows),
    "",
    ...goals.map((g) => `- ${g}`),
    "",
    ...notes.map((n) => `- ${n}`),
  ].join("\n");
}

export const peersBenchmark: Benchmark = {
  name: "peers",
  title: "Against the peers",
  run: async () => {
    const { results, notes } = await measure();
    return report(results, notes);
  },
};
