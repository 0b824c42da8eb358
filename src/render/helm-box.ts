import { cp, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { RenderError } from "../errors.js";
import type { ResolvedBox } from "../spec/boxes.js";
import { assertNoEscapingLinks, displayPath, type SourceTree } from "../spec/paths.js";
import { assertLocalSchemas } from "./chart-schema.js";
import { helmTemplate, type HelmLimits } from "./helm.js";
import { parseHelmOutput, type SourcedObject } from "./objects.js";
import { readInterpolatedYaml } from "./yaml.js";

export interface BoxRenderContext {
  tree: SourceTree;
  helm: string;
  /** A scratch directory of this box's own. */
  scratch: string;
  limits: HelmLimits;
  /** PR mode: the chart is a pull request's, held to the stricter rules. */
  pullRequest: boolean;
  signal?: AbortSignal;
  /** Called once this box's helm process is started. */
  onSpawn?: () => void;
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
  const field = `boxes[${box.index}].chart`;
  const files = await assertNoEscapingLinks(ctx.tree, chartDir, field);
  if (ctx.pullRequest) await assertLocalSchemas(ctx.tree, files, field);
  const { dir, templates } = await chartWithApplications(box, { dir: chartDir, files }, ctx.scratch);
  const stdout = await helmTemplate({
    helm: ctx.helm,
    release: box.name,
    chartDir: dir,
    namespace: box.namespace,
    valuesFile: await valuesFile(box, ctx),
    scratch: ctx.scratch,
    shownChart,
    box: `boxes[${box.index}] (${box.name})`,
    limits: ctx.limits,
    signal: ctx.signal,
    onSpawn: ctx.onSpawn,
  });
  // "api/templates/x.yaml" → the chart's own path in the repository.
  const sourceOf = (helmSource: string) => path.join(shownChart, helmSource.split("/").slice(1).join("/"));
  const objects = await parseHelmOutput(stdout, sourceOf);
  if (templates === null) return objects;
  const wanted = new Set(templates.map((t) => path.join(shownChart, t)));
  return objects.filter((o) => wanted.has(o.source));
}

async function valuesFile(box: ResolvedBox, ctx: BoxRenderContext): Promise<string | null> {
  if (!box.values) return null;
  const documents = await readInterpolatedYaml(box.values, displayPath(ctx.tree, box.values), box.vars);
  if (documents.length > 1) {
    throw new RenderError(
      `boxes[${box.index}].values: ${displayPath(ctx.tree, box.values)} holds ${documents.length} YAML documents; a values file holds one`,
      {
        location: { file: displayPath(ctx.tree, box.values) },
      },
    );
  }
  const file = path.join(ctx.scratch, "values.json");
  // JSON is YAML: helm reads it, and no YAML re-serialisation can change a type.
  await writeFile(file, JSON.stringify(documents[0] ?? {}), { mode: 0o600 });
  return file;
}

/** The chart to render and the templates (relative to it) the applications select, or null for all. */
async function chartWithApplications(
  box: ResolvedBox,
  chart: { dir: string; files: string[] },
  scratch: string,
): Promise<{ dir: string; templates: string[] | null }> {
  const chartDir = chart.dir;
  if (box.applications.length === 0) return { dir: chartDir, templates: null };
  const relative = box.applications.map((app) => path.relative(chartDir, app.file));
  if (relative.every((rel) => rel.startsWith(`templates${path.sep}`))) return { dir: chartDir, templates: relative };
  const copy = path.join(scratch, "chart");
  // The files the link check walked, copied as what they point to: a relative link copied as a
  // link would resolve from the scratch directory, outside the sources.
  await Promise.all(chart.files.map((file) => cp(file, path.join(copy, path.relative(chartDir, file)))));
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
