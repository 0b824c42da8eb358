// Render benchmark: how long environment.toml → objects takes, for the k8sbox example and for
// synthetic environments of 10 to 500 objects (plain manifests, and one helm chart). Prints
// medians of several runs; no assertion, machines are noisy.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { renderSpec } from "../src/core/render-spec.js";
import { findHelm, helmVersion } from "../src/render/helm-binary.js";
import { DEFAULT_RENDER_POLICY } from "../src/spec/context.js";
import { medianTime, table } from "./lib/stats.js";
import type { Benchmark } from "./run.js";

const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 9));

const time = (fn: () => Promise<unknown>) => medianTime(fn, RUNS);

async function syntheticRepo(objects: number): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), "prbox-bench-"));
  await mkdir(path.join(root, "k8s"));
  await mkdir(path.join(root, "chart/templates"), { recursive: true });
  const doc = (i: number) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  labels: { app: bench }\ndata:\n  sha: "\${PRBOX_SHORT_SHA}"\n  index: "${i}"\n`;
  await writeFile(path.join(root, "k8s/all.yaml"), Array.from({ length: objects }, (_, i) => doc(i)).join("---\n"));
  await writeFile(path.join(root, "chart/Chart.yaml"), "apiVersion: v2\nname: bench\nversion: 0.1.0\n");
  await writeFile(path.join(root, "chart/values.yaml"), `count: ${objects}\nsha: "\${PRBOX_SHORT_SHA}"\n`);
  await writeFile(
    path.join(root, "chart/templates/cms.yaml"),
    "{{- range $i := until (int .Values.count) }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ $i }}\ndata:\n  sha: {{ $.Values.sha | quote }}\n{{- end }}\n",
  );
  await writeFile(path.join(root, "manifests.toml"), '[[boxes]]\ntype = "manifests"\nchart = "k8s"\nname = "plain"\n');
  await writeFile(
    path.join(root, "helm.toml"),
    '[[boxes]]\ntype = "helm"\nchart = "chart"\nvalues = "chart/values.yaml"\nname = "bench"\n',
  );
  return root;
}

const pr = {
  forge: "github",
  repo: "acme/shop",
  pr: 1,
  branch: "main",
  sha: "0123456789abcdef0123456789abcdef01234567",
};

async function measure(): Promise<string> {
  const helm = await findHelm();
  const intro = `environment.toml → objects in this process (no cluster), median of ${String(RUNS)} runs after a warm-up, helm ${await helmVersion(helm)}.`;
  const rows: string[][] = [];
  const example = await time(() =>
    renderSpec({
      file: "fixtures/k8sbox-example/environment.toml",
      root: process.cwd(),
      pr,
      helm,
      policy: { ...DEFAULT_RENDER_POLICY, ingressHosts: ["*.preview.example.com"] },
    }),
  );
  rows.push(["k8sbox example (3 helm boxes, 5 objects)", "5", example.toFixed(1), (example / 5).toFixed(2)]);
  for (const n of [10, 100, 500]) {
    const root = await syntheticRepo(n);
    try {
      const manifests = await time(() => renderSpec({ file: "manifests.toml", root, pr, helm }));
      rows.push([`manifests box`, String(n), manifests.toFixed(1), (manifests / n).toFixed(3)]);
      const chart = await time(() => renderSpec({ file: "helm.toml", root, pr, helm }));
      rows.push([`helm box (one chart)`, String(n), chart.toFixed(1), (chart / n).toFixed(3)]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  return `${intro}\n\n${table(["environment", "objects", "render ms (median)", "ms per object"], rows)}`;
}

export const renderBenchmark: Benchmark = { name: "render", title: "Render", run: measure };
