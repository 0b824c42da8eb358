import { cp, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { RenderError } from "../errors.js";
import type { ResolvedBox } from "../spec/boxes.js";
import { assertNoEscapingLinks, displayPath, type SourceTree } from "../spec/paths.js";
import { helmTemplate } from "./helm.js";
import { parseHelmOutput, type SourcedObject } from "./objects.js";
import { readInterpolatedYaml } from "./yaml.js";

export interface BoxRenderContext {
  tree: SourceTree;
  helm: string;
  /** A scratch directory of this box's own. */
  scratch: string;
  signal?: AbortSignal;
}

/**
 * Renders a helm box with the real `helm template`: the values file is interpolated (types kept)
 * and really passed to helm; `applications` keep only the listed templates. A template listed
 * from outside the chart (k8sbox copied such files into the chart) is copied into a scratch copy.
 */
export async function renderHelmBox(box: ResolvedBox, ctx: BoxRenderContext): Promise<SourcedObject[]> {
  const chartDir = box.chart as string;
  const shownChart = displayPath(ctx.tree, chartDir);
  await mkdir(ctx.scratch, { recursive: true });
  await assertNoEscapingLinks(ctx.tree, chartDir, `boxes[${box.index}].chart`);
  const { dir, templates } = await chartWithApplications(box, chartDir, ctx.scratch);
  const stdout = await helmTemplate({
    helm: ctx.helm,
    release: box.name,
    chartDir: dir,
    namespace: box.namespace,
    valuesFile: await valuesFile(box, ctx),
    scratch: ctx.scratch,
    shownChart,
    box: `boxes[${box.index}] (${box.name})`,
    signal: ctx.signal,
  });
  // "api/templates/x.yaml" → the chart's own path in the repository.
  const sourceOf = (helmSource: string) => path.join(shownChart, helmSource.split("/").slice(1).join("/"));
  const objects = parseHelmOutput(stdout, sourceOf);
  if (templates === null) return objects;
  const wanted = new Set(templates.map((t) => path.join(shownChart, t)));
  return objects.filter((o) => wanted.has(o.source));
}

async function valuesFile(box: ResolvedBox, ctx: BoxRenderContext): Promise<string | null> {
  if (!box.values) return null;
  const documents = await readInterpolatedYaml(box.values, displayPath(ctx.tree, box.values), box.vars);
  if (documents.length > 1) {
    throw new RenderError(`boxes[${box.index}].values: ${displayPath(ctx.tree, box.values)} holds ${documents.length} YAML documents; a values file holds one`, {
      location: { file: displayPath(ctx.tree, box.values) },
    });
  }
  const file = path.join(ctx.scratch, "values.json");
  // JSON is YAML: helm reads it, and no YAML re-serialisation can change a type.
  await writeFile(file, JSON.stringify(documents[0] ?? {}), { mode: 0o600 });
  return file;
}

/** The chart to render and the templates (relative to it) the applications select, or null for all. */
async function chartWithApplications(box: ResolvedBox, chartDir: string, scratch: string): Promise<{ dir: string; templates: string[] | null }> {
  if (box.applications.length === 0) return { dir: chartDir, templates: null };
  const relative = box.applications.map((app) => path.relative(chartDir, app.file));
  if (relative.every((rel) => rel.startsWith(`templates${path.sep}`))) return { dir: chartDir, templates: relative };
  const copy = path.join(scratch, "chart");
  await cp(chartDir, copy, { recursive: true, dereference: false });
  await mkdir(path.join(copy, "templates"), { recursive: true });
  const templates = await Promise.all(
    box.applications.map(async (app, i) => {
      const rel = relative[i] as string;
      if (rel.startsWith(`templates${path.sep}`)) return rel;
      const target = path.join("templates", `prbox-app-${i}-${path.basename(app.file)}`);
      await cp(app.file, path.join(copy, target));
      return target;
    }),
  );
  return { dir: copy, templates };
}
