// Renders charts/prbox with the real helm binary (test/setup/helm.ts) for the chart's tests.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { helmEnvironment } from "../../../src/render/helm-binary.js";

const run = promisify(execFile);
export const chartDir = path.resolve(import.meta.dirname, "../../../charts/prbox");

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface HelmOutcome {
  ok: boolean;
  stdout: string;
  /** helm's own error text (stderr) when it failed. */
  error: string;
}

/** Runs helm with a values file holding `values` (JSON is YAML); never throws for helm's own failures. */
export async function helmWith(
  helm: string,
  args: string[],
  values: object,
  kubeconfig?: string,
): Promise<HelmOutcome> {
  const scratch = await mkdtemp(path.join(tmpdir(), "prbox-chart-"));
  try {
    const file = path.join(scratch, "values.json");
    await writeFile(file, JSON.stringify(values));
    const env = { ...helmEnvironment(scratch), ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}) };
    const { stdout } = await run(helm, [...args, chartDir, "--values", file], { env, maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, stdout, error: "" };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, stdout: e.stdout ?? "", error: e.stderr || e.message };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * `helm template` to objects; throws with helm's message when it fails. With `kubeconfig`, helm
 * asks that cluster what the chart looks up (`--dry-run=server`), as an upgrade would.
 */
export async function renderChart(
  helm: string,
  values: object,
  options: { release?: string; namespace?: string; kubeconfig?: string } = {},
): Promise<Manifest[]> {
  const args = [
    "template",
    options.release ?? "rel",
    "--namespace",
    options.namespace ?? "prbox-system",
    ...(options.kubeconfig ? ["--dry-run=server"] : []),
  ];
  const outcome = await helmWith(helm, args, values, options.kubeconfig);
  if (!outcome.ok) throw new Error(`helm template failed: ${outcome.error}`);
  return parseAllDocuments(outcome.stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === "object" && "kind" in m);
}

export function ofKind(manifests: readonly Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}
