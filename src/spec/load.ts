import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { SpecError } from "../errors.js";
import type { EnvironmentInfo, PrContext } from "../model.js";
import { resolveBox, type BoxEnvironment, type ResolvedBox } from "./boxes.js";
import { DEFAULT_RENDER_POLICY, SpecContext, type RenderPolicy } from "./context.js";
import { builtinVariables, resolveIdentity } from "./identity.js";
import { displayPath, inside, sourceTree, type SourceTree } from "./paths.js";
import { fetchText, loadRemoteBoxes, type FetchText } from "./remote.js";
import { specSchema, type RawBox } from "./schema.js";
import { BoxSources, noSources, type FetchSources } from "./sources.js";
import { parseToml } from "./toml.js";
import { unknownKeyWarnings, validate } from "./validate.js";
import { readDotenv, Variables } from "./variables.js";

export interface LoadOptions {
  /** Path of environment.toml. */
  file: string;
  /** Root of the sources; paths may not leave it. Default: see `defaultRoot`. */
  root?: string;
  /** The pull request: present means PR mode. */
  pr?: PrContext | null;
  /** Values given by the operator (--set, the bot's allow-listed values): the highest precedence. */
  set?: Record<string, string>;
  /** The process environment: a variable source in CLI mode only. */
  env?: Record<string, string | undefined>;
  policy?: RenderPolicy;
  fetchRemote?: FetchText;
  /** Other repositories' sources for boxes that name a `repository` (default: none, an error naming --source). */
  fetchSources?: FetchSources;
}

export interface ResolvedSpec {
  tree: SourceTree;
  /** environment.toml relative to the root, for messages. */
  specFile: string;
  environment: EnvironmentInfo;
  boxes: ResolvedBox[];
  warnings: string[];
  policy: RenderPolicy;
}

/** The sources root when none is given: the working directory if the spec is inside it, else the spec's directory. */
export function defaultRoot(file: string, cwd: string): string {
  const spec = path.resolve(cwd, file);
  return inside(cwd, spec) ? cwd : path.dirname(spec);
}

/** Reads, validates and resolves an environment.toml: everything but rendering the boxes. */
export async function loadSpec(options: LoadOptions): Promise<ResolvedSpec> {
  const pr = options.pr ?? null;
  const mode = pr ? "pr" : "cli";
  const root = options.root ?? defaultRoot(options.file, process.cwd());
  const tree = await sourceTree(root);
  const specPath = await specFilePath(tree, path.resolve(root, options.file));
  const shown = displayPath(tree, specPath);
  const source = parseToml(shown, await readSpec(specPath, shown));
  const spec = validate(specSchema, source);
  const ctx = new SpecContext(source, tree, path.dirname(specPath), mode, options.policy ?? DEFAULT_RENDER_POLICY);
  ctx.warnings.push(...unknownKeyWarnings(source.data));

  let vars = Variables.empty(mode)
    .with("process", options.env ?? {})
    .with("set", options.set ?? {});
  vars = vars.with("builtin", builtinVariables(ctx, pr));
  if (spec.variables !== undefined) {
    const file = await ctx.path(spec.variables, ["variables"], vars, "file");
    vars = vars.with("file", await readDotenv(file, ctx.locate(["variables"])));
  }
  const identity = resolveIdentity(ctx, spec, vars, pr);
  const sources = new BoxSources(options.fetchSources ?? noSources);
  const boxEnv = { vars: identity.vars, namespace: identity.namespace, pr: pr?.pr ?? null, sources };
  const boxes = await resolveBoxes(ctx, spec.boxes ?? [], spec.load_boxes_from, boxEnv, options.fetchRemote);
  const extraNamespaces = [...new Set(boxes.map((b) => b.namespace))].filter((ns) => ns !== identity.namespace);
  return {
    tree,
    specFile: shown,
    environment: {
      id: identity.id,
      name: identity.name,
      namespace: identity.namespace,
      extraNamespaces,
      url: identity.url,
      ...(spec.probe === undefined ? {} : { probe: probeOf(ctx, spec.probe) }),
      mode,
      pr,
    },
    boxes,
    warnings: ctx.warnings,
    policy: ctx.policy,
  };
}

/** `probe = "/healthz"`: a path on each Ingress host, nothing else (the host is never the spec's to choose). */
function probeOf(ctx: SpecContext, value: boolean | string): boolean | string {
  if (typeof value === "boolean" || /^\/[^\s?#]*$/.test(value)) return value;
  throw new SpecError(`probe = ${JSON.stringify(value.slice(0, 80))} is not a path`, {
    location: ctx.locate(["probe"]),
    hint: 'write probe = "/healthz" (requested on every host the Ingresses serve), or probe = true / false',
  });
}

async function specFilePath(tree: SourceTree, file: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(file);
  } catch (cause) {
    throw new SpecError(`environment file not found: ${file}`, {
      hint: "pass the spec with -f path/to/environment.toml",
      cause,
    });
  }
  if (!inside(tree.root, real)) {
    throw new SpecError(`environment file ${file} is outside the sources root ${tree.root}`, {
      hint: "run prbox from the repository or pass --root",
    });
  }
  return real;
}

async function readSpec(file: string, shown: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (cause) {
    throw new SpecError(`cannot read ${shown}: ${(cause as Error).message}`, { cause });
  }
}

async function resolveBoxes(
  ctx: SpecContext,
  local: RawBox[],
  remoteUrl: string | undefined,
  env: BoxEnvironment,
  fetchRemote: FetchText = fetchText,
): Promise<ResolvedBox[]> {
  const boxes = await Promise.all(local.map((raw, i) => resolveBox(ctx, raw, i, env)));
  if (remoteUrl !== undefined) {
    const remote = await loadRemoteBoxes(ctx, remoteUrl, env.vars, fetchRemote);
    const remoteCtx = new SpecContext(remote.source, ctx.tree, ctx.specDir, ctx.mode, ctx.policy);
    remoteCtx.warnings = ctx.warnings;
    boxes.push(...(await Promise.all(remote.boxes.map((raw, i) => resolveBox(remoteCtx, raw, i, env)))));
  }
  if (boxes.length === 0) {
    throw new SpecError("the environment has no boxes", {
      location: { file: ctx.source.file },
      hint: 'add at least one [[boxes]] table with type = "helm" or "manifests"',
    });
  }
  checkUniqueNames(ctx, boxes);
  return boxes;
}

function checkUniqueNames(ctx: SpecContext, boxes: ResolvedBox[]): void {
  const seen = new Map<string, number>();
  for (const box of boxes) {
    const previous = seen.get(box.name);
    if (previous !== undefined) {
      throw new SpecError(`boxes[${box.index}] and boxes[${previous}] are both named "${box.name}"`, {
        location: ctx.locate(["boxes", box.index, "name"]),
        hint: "give every box its own name: it is the Helm release name and the prbox.dev/box label",
      });
    }
    seen.set(box.name, box.index);
  }
}
