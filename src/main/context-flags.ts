import type { Command } from "commander";
import type { Baseline } from "../config/baseline.js";
import { FORGE_NAMES, isForgeName } from "../core/forge.js";
import type { RenderedEnvironment } from "../model.js";
import type { PrContext } from "../model.js";
import type { RenderPolicy } from "../spec/context.js";
import type { FetchSources } from "../spec/sources.js";
import { UsageError, type CliIo } from "./io.js";

/** The flags every verb that reads a spec shares. */
export interface SpecFlags {
  file?: string;
  root?: string;
  forge: string;
  repo?: string;
  pr?: string;
  branch?: string;
  sha?: string;
  set: string[];
  source: string[];
  allowKind: string[];
  allowClusterRole: string[];
  allowServiceType: string[];
  ingressHost: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addSpecFlags(command: Command, options: { fileRequired: boolean } = { fileRequired: true }): Command {
  const file = "-f, --file <path>";
  const about = "the environment spec (environment.toml)";
  return (options.fileRequired ? command.requiredOption(file, about) : command.option(file, about))
    .option("--root <dir>", "root of the sources; spec paths may not leave it (default: the working directory)")
    .option("--repo <owner/name>", "PR mode: the repository")
    .option("--pr <number>", "PR mode: the pull or merge request number")
    .option("--branch <name>", "PR mode: the head branch")
    .option("--sha <commit>", "PR mode: the head commit")
    .option("--forge <github|gitlab>", "PR mode: the forge", "github")
    .option("--set <KEY=VALUE>", "set a variable (repeatable; wins over every other source)", collect, [])
    .option(
      "--source <owner/name=DIR>",
      "a local checkout of a repository a box names with `repository` (repeatable)",
      collect,
      [],
    )
    .option(
      "--allow-kind <Kind>",
      "allow a cluster-scoped kind or a foreign namespace for it (repeatable)",
      collect,
      [],
    )
    .option("--allow-cluster-role <name>", "PR mode: a ClusterRole a RoleBinding may name (repeatable)", collect, [])
    .option(
      "--allow-service-type <type>",
      "PR mode: allow NodePort, LoadBalancer, ExternalName or ExternalIPs (repeatable)",
      collect,
      [],
    )
    .option(
      "--ingress-host <pattern>",
      "PR mode: a host pattern an Ingress may claim, e.g. '*.preview.example.com' (repeatable)",
      collect,
      [],
    );
}

/** PR mode needs all four of --pr, --repo, --branch and --sha; none of them means CLI mode. */
export function prContext(flags: SpecFlags): PrContext | null {
  const given = { pr: flags.pr, repo: flags.repo, branch: flags.branch, sha: flags.sha };
  const missing = Object.entries(given)
    .filter(([, v]) => v === undefined)
    .map(([k]) => `--${k}`);
  if (missing.length === 4) return null;
  if (missing.length > 0)
    throw new UsageError(`PR mode needs --pr, --repo, --branch and --sha; missing ${missing.join(", ")}`);
  const pr = Number(flags.pr);
  if (!Number.isSafeInteger(pr) || pr <= 0) throw new UsageError(`--pr ${flags.pr}: expected a positive number`);
  if (!/^[^/\s]+\/[^\s]+$/.test(flags.repo as string))
    throw new UsageError(`--repo ${flags.repo}: expected owner/name`);
  if (!/^[0-9a-f]{7,64}$/i.test(flags.sha as string))
    throw new UsageError(`--sha ${flags.sha}: expected a commit hash`);
  if (!isForgeName(flags.forge)) throw new UsageError(`--forge ${flags.forge}: expected ${FORGE_NAMES.join(" or ")}`);
  return {
    forge: flags.forge,
    repo: flags.repo as string,
    pr,
    branch: flags.branch as string,
    sha: (flags.sha as string).toLowerCase(),
  };
}

export async function setVariables(flags: SpecFlags): Promise<Record<string, string>> {
  // The spec modules load with the verb that reads a spec, not with --help (so do those below).
  const { parseAssignments } = await import("../spec/variables.js");
  try {
    return parseAssignments(flags.set);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export async function policyOf(flags: SpecFlags): Promise<RenderPolicy> {
  const { DEFAULT_RENDER_POLICY } = await import("../spec/context.js");
  return {
    ...DEFAULT_RENDER_POLICY,
    allowKinds: flags.allowKind,
    allowClusterRoles: flags.allowClusterRole,
    allowServiceTypes: flags.allowServiceType,
    ingressHosts: flags.ingressHost,
  };
}

/** PR mode: the namespace baseline from the operator's PRBOX_* settings in the environment (a ConfigError names a bad one). */
export async function baselineFromFlags(flags: SpecFlags, io: CliIo): Promise<Baseline | undefined> {
  if (!prContext(flags)) return undefined;
  const { loadBaselineConfig } = await import("../config/config.js");
  return loadBaselineConfig(io.env);
}

/** Renders the spec the flags name (CLI or PR mode) and prints its warnings on stderr. */
export async function renderFromFlags(
  flags: SpecFlags,
  io: CliIo,
  onHelmStarted?: () => void,
): Promise<RenderedEnvironment> {
  // Loaded here, not at the top: the spec reader and renderer are not part of --help.
  const { renderSpec } = await import("../core/render-spec.js");
  const rendered = await renderSpec({
    file: flags.file as string,
    root: flags.root ?? io.cwd,
    pr: prContext(flags),
    set: await setVariables(flags),
    env: io.env,
    policy: { ...(await policyOf(flags)), baseline: await baselineFromFlags(flags, io) },
    fetchSources: await localSources(flags, io),
    onHelmStarted,
  });
  for (const warning of rendered.warnings) io.stderr.write(`warning: ${warning}\n`);
  return rendered;
}

/** `--source owner/name=DIR`: boxes naming that repository read DIR (relative to the working directory). */
async function localSources(flags: SpecFlags, io: CliIo): Promise<FetchSources> {
  const { noSources } = await import("../spec/sources.js");
  const path = await import("node:path");
  const dirs = new Map<string, string>();
  for (const given of flags.source) {
    const at = given.indexOf("=");
    const repository = given.slice(0, at);
    if (at <= 0 || at === given.length - 1 || !repository.includes("/"))
      throw new UsageError(`--source ${given}: expected owner/name=DIR`);
    dirs.set(repository, path.resolve(io.cwd, given.slice(at + 1)));
  }
  return async (request) => {
    const root = dirs.get(request.repository);
    return root === undefined ? noSources(request) : { root, commit: null };
  };
}
