import { PR_SPECIFIC, prBuiltins } from "../../src/spec/builtins.js";
import { builtinVariables } from "../../src/spec/identity.js";
import type { SpecContext } from "../../src/spec/context.js";
import { prEnvironmentId, prNamespace } from "../../src/spec/naming.js";
import { CLUSTER_SCOPED_KINDS } from "../../src/render/policy.js";
import { LAYERS } from "../../src/spec/variables.js";
import type { PrContext } from "../../src/model.js";
import { code, table } from "./markdown.js";

/** What each built-in variable means; the names and example values come from the code. */
export const BUILTIN_MEANINGS: Record<string, string> = {
  PWD: "The root of the checked-out sources (the repository at the PR's head; in CLI mode `--root`, default the working directory). Not the process's working directory.",
  PRBOX_FORGE: "`github` or `gitlab`.",
  PRBOX_REPO: "The repository as `owner/name` (GitLab: the project's full path).",
  PRBOX_REPO_SLUG: "The repository as a DNS-1123 fragment: lower case, other characters become `-`.",
  PRBOX_PR: "The pull request's (merge request's) number.",
  PRBOX_BRANCH: "The head branch, as written.",
  PRBOX_BRANCH_SLUG: "The head branch as a DNS-1123 fragment, like GitLab's `CI_COMMIT_REF_SLUG`; hashed only when longer than 63 characters.",
  PRBOX_SHA: "The full commit hash being deployed.",
  PRBOX_SHORT_SHA: "Its first 7 characters, e.g. for image tags.",
  PRBOX_ENV_ID: "The environment's id: the record key and the value of the `prbox.dev/environment` label.",
  PRBOX_NAMESPACE: "The environment's namespace (see naming). Not usable in `namespace` itself.",
};

/** An example pull request to show the built-ins' values with. */
export const EXAMPLE_PR: PrContext = {
  forge: "github",
  repo: "acme/Shop.Web",
  pr: 42,
  branch: "feature/Login-Page",
  sha: "3f9c2a1b7e5d4c6f8a0b1c2d3e4f5a6b7c8d9e0f",
};

function meaning(name: string): string {
  const text = BUILTIN_MEANINGS[name];
  if (text === undefined) throw new Error(`the built-in variable ${name} has no meaning in scripts/docs/spec.ts BUILTIN_MEANINGS: add one`);
  return text;
}

/** The built-in variables of both modes, with example values computed by the code that sets them. */
export function builtinsTable(): string {
  const root = "/src";
  // builtinVariables reads only the sources root from its context.
  const ctx = { tree: { root } } as SpecContext;
  const envId = prEnvironmentId(EXAMPLE_PR.forge, EXAMPLE_PR.repo, EXAMPLE_PR.pr);
  const pr: Record<string, string> = { ...builtinVariables(ctx, EXAMPLE_PR), ...prBuiltins(EXAMPLE_PR, envId), PRBOX_NAMESPACE: prNamespace(EXAMPLE_PR.repo, EXAMPLE_PR.pr) };
  const cli: Record<string, string> = { ...builtinVariables(ctx, null, "shop"), PRBOX_NAMESPACE: "shop" };
  const rows = Object.keys(pr).map((name) => [
    code(name),
    code(pr[name] as string),
    name in cli ? code(cli[name] as string) : "—",
    `${meaning(name)}${(PR_SPECIFIC as readonly string[]).includes(name) ? " PR-specific (see naming)." : ""}`,
  ]);
  return [
    `Example values for pull request ${EXAMPLE_PR.pr} of \`${EXAMPLE_PR.repo}\` on branch \`${EXAMPLE_PR.branch}\` (sources at \`${root}\`), and in CLI mode for a spec with \`id = "shop"\`:`,
    "",
    table(["Variable", "PR mode", "CLI mode", "Meaning"], rows),
  ].join("\n");
}

const LAYER_MEANINGS: Record<string, string> = {
  file: "the environment's `variables` file (a .env file)",
  "box-file": "the box's own `variables` file, for that box's fields, values and manifests",
  process: "the process environment: **CLI mode only**; never in PR mode (the bot, or the CLI with PR context)",
  builtin: "the built-in variables below",
  set: "values the operator gives: `--set KEY=VALUE` on the CLI, `PRBOX_VAR_<NAME>` in the bot's configuration",
};

/** The variable layers in precedence order, from src/spec/variables.ts. */
export function layersList(): string {
  return LAYERS.map((layer, i) => {
    const text = LAYER_MEANINGS[layer];
    if (text === undefined) throw new Error(`the variable layer ${layer} has no meaning in scripts/docs/spec.ts LAYER_MEANINGS: add one`);
    return `${i + 1}. ${text}${i === LAYERS.length - 1 ? " (wins over all others)" : ""}`;
  }).join("\n");
}

/** The cluster-scoped kinds prbox refuses unless allowed, from src/render/policy.ts. */
export function refusedKindsList(): string {
  return [...CLUSTER_SCOPED_KINDS].sort().map(code).join(", ");
}
