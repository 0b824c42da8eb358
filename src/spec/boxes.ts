import { access } from "node:fs/promises";
import path from "node:path";
import { SpecError } from "../errors.js";
import type { SpecContext } from "./context.js";
import { isDnsLabel, prSpecNamespace, readableSlug } from "./naming.js";
import type { RawBox } from "./schema.js";
import { inside, type SourceTree } from "./paths.js";
import type { BoxOrigin, BoxSources } from "./sources.js";
import { readDotenv, type Variables } from "./variables.js";

export interface ResolvedApplication {
  name: string;
  /** Absolute path of a template (helm) or a YAML file or directory (manifests). */
  file: string;
}

export interface ResolvedBox {
  /** Index in the spec, for messages: `boxes[index]`. */
  index: number;
  type: "helm" | "manifests";
  /** Helm release name; label value prbox.dev/box. */
  name: string;
  namespace: string;
  /** helm: the chart directory. manifests: a YAML file or directory, or null. */
  chart: string | null;
  /** helm: the values file, or null. */
  values: string | null;
  applications: ResolvedApplication[];
  /** The variables this box's values and manifests are interpolated with. */
  vars: Variables;
  /** `tests = true`: run the box's Helm test hooks once the environment is ready. */
  tests: boolean;
  /** The tree the box's paths are in: the PR's sources, or its `repository`'s. */
  tree: SourceTree;
  /** Set when the box names another repository: which, and at what commit. */
  origin: BoxOrigin | null;
}

/** Helm's limit for release names. */
const MAX_RELEASE_NAME = 53;

/** What a box inherits from its environment; `pr` is the PR number in PR mode, else null. */
export interface BoxEnvironment {
  vars: Variables;
  namespace: string;
  pr: number | null;
  /** Other repositories' sources, for boxes that name one. */
  sources: BoxSources;
}

export async function resolveBox(
  specCtx: SpecContext,
  raw: RawBox,
  index: number,
  env: BoxEnvironment,
): Promise<ResolvedBox> {
  const at = (...keys: (string | number)[]) => ["boxes", index, ...keys];
  const { tree, origin } = await boxTree(specCtx, raw, index, env);
  // A box from another repository reads every path (its variables file too) in that repository.
  const ctx = origin ? specCtx.inTree(tree) : specCtx;
  let vars = env.vars;
  if (raw.variables !== undefined) {
    const file = await ownPath(specCtx, ctx, raw.variables, at("variables"), vars);
    vars = vars.with("box-file", await readDotenv(file, ctx.locate(at("variables"))));
  }
  const chart = raw.chart === undefined ? null : await ctx.path(raw.chart, at("chart"), vars);
  const applications = await Promise.all(
    (raw.applications ?? []).map(async (app, i) => ({
      name: ctx.text(app.name, at("applications", i, "name"), vars) ?? path.parse(app.chart).name,
      file: await ctx.path(app.chart, at("applications", i, "chart"), vars, raw.type === "helm" ? "file" : "any"),
    })),
  );
  const box: ResolvedBox = {
    index,
    type: raw.type,
    name: boxName(ctx, raw, index, vars),
    namespace: boxNamespace(ctx, raw, index, vars, env),
    chart: raw.type === "helm" ? await chartDirectory(ctx, chart, index) : chart,
    values: raw.values === undefined ? null : await ownPath(specCtx, ctx, raw.values, at("values"), vars),
    applications,
    vars,
    tests: raw.tests ?? false,
    tree,
    origin,
  };
  if (box.type === "manifests") checkManifestsBox(ctx, box);
  return box;
}

/**
 * A box's values or variables file: in the box's repository, unless the path (after
 * interpolation) is inside the PR's own sources (`${PWD}/preview/api-values.yaml`): a PR may
 * pass its own values to another repository's chart.
 */
function ownPath(
  specCtx: SpecContext,
  ctx: SpecContext,
  value: string,
  at: (string | number)[],
  vars: Variables,
): Promise<string> {
  const expanded = ctx.text(value, at, vars) ?? "";
  const inPullRequest = ctx !== specCtx && path.isAbsolute(expanded) && inside(specCtx.tree.root, expanded);
  return (inPullRequest ? specCtx : ctx).path(value, at, vars, "file");
}

async function boxTree(
  ctx: SpecContext,
  raw: RawBox,
  index: number,
  env: BoxEnvironment,
): Promise<{ tree: SourceTree; origin: BoxOrigin | null }> {
  const repository = ctx.text(raw.repository, ["boxes", index, "repository"], env.vars);
  const ref = ctx.text(raw.ref, ["boxes", index, "ref"], env.vars) ?? null;
  if (repository === undefined) {
    if (ref !== null)
      throw new SpecError(`boxes[${index}].ref is set without a repository`, {
        location: ctx.locate(["boxes", index, "ref"]),
        hint: 'add repository = "owner/name", or remove ref: the box is in this repository',
      });
    return { tree: ctx.tree, origin: null };
  }
  return env.sources.of(ctx, index, repository, ref);
}

function boxName(ctx: SpecContext, raw: RawBox, index: number, vars: Variables): string {
  const written = ctx.text(raw.name, ["boxes", index, "name"], vars);
  const fallback = raw.chart ? path.basename(raw.chart.replace(/\/?Chart\.ya?ml$/i, "")) : `box-${index + 1}`;
  const name = written ?? readableSlug(fallback, MAX_RELEASE_NAME);
  if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) && name.length <= MAX_RELEASE_NAME) return name;
  throw new SpecError(`boxes[${index}].name = "${name}" is not a valid release name`, {
    location: ctx.locate(["boxes", index, "name"]),
    hint: `use lower-case letters, digits and dashes, at most ${MAX_RELEASE_NAME} characters, e.g. "${readableSlug(name, MAX_RELEASE_NAME)}"`,
  });
}

/**
 * k8sbox lets every box pick a namespace. In PR mode the box's namespace follows the
 * environment's rule (it always ends in the PR's `-pr-<N>`), so a box that writes the spec's own
 * namespace expression lands in the environment's namespace, and any other stays refused unless
 * the operator allows it; even then it can only be one of this PR's namespaces.
 */
function boxNamespace(ctx: SpecContext, raw: RawBox, index: number, vars: Variables, env: BoxEnvironment): string {
  const envNamespace = env.namespace;
  const written = ctx.text(raw.namespace, ["boxes", index, "namespace"], vars);
  if (written === undefined || written === envNamespace) return envNamespace;
  const wanted = ctx.mode === "pr" && env.pr !== null ? prSpecNamespace(written, env.pr) : written;
  if (wanted === envNamespace) return envNamespace;
  if (ctx.mode === "pr" && !ctx.policy.allowForeignNamespaces) {
    throw new SpecError(
      `boxes[${index}].namespace = "${written}" differs from the environment's namespace ${envNamespace}; a pull request's environment stays in its own namespace`,
      {
        location: ctx.locate(["boxes", index, "namespace"]),
        hint: "remove the box's namespace (the environment's namespace is used)",
      },
    );
  }
  if (!isDnsLabel(wanted)) {
    throw new SpecError(`boxes[${index}].namespace = "${written}" is not a valid namespace name`, {
      location: ctx.locate(["boxes", index, "namespace"]),
    });
  }
  return wanted;
}

/** `chart` may name Chart.yaml (k8sbox's habit) or the chart's directory. */
async function chartDirectory(ctx: SpecContext, chart: string | null, index: number): Promise<string> {
  const location = ctx.locate(["boxes", index, "chart"]);
  if (!chart) {
    throw new SpecError(`boxes[${index}] is a helm box without a chart`, {
      location: ctx.locate(["boxes", index]),
      hint: 'add chart = "path/to/chart" (the chart directory or its Chart.yaml)',
    });
  }
  const dir = /\.ya?ml$/i.test(chart) ? path.dirname(chart) : chart;
  try {
    await access(path.join(dir, "Chart.yaml"));
  } catch {
    throw new SpecError(
      `boxes[${index}].chart: ${path.relative(ctx.tree.root, dir) || "."} is not a Helm chart (it has no Chart.yaml)`,
      {
        location,
        hint: "point chart at a chart directory or its Chart.yaml",
      },
    );
  }
  return dir;
}

function checkManifestsBox(ctx: SpecContext, box: ResolvedBox): void {
  if (box.chart === null && box.applications.length === 0) {
    throw new SpecError(`boxes[${box.index}] is a manifests box with nothing to deploy`, {
      location: ctx.locate(["boxes", box.index]),
      hint: 'add chart = "path/to/manifests" (a YAML file or directory) or [[boxes.applications]] entries',
    });
  }
  if (box.values !== null) ctx.warnings.push(`boxes[${box.index}].values is ignored: a manifests box has no values`);
}
