import { SpecError } from "../errors.js";
import type { PrContext } from "../model.js";
import { PR_SPECIFIC, prBuiltins } from "./builtins.js";
import type { SpecContext } from "./context.js";
import { referencedVariables } from "./interpolate.js";
import { dnsLabel, isDnsLabel, prEnvironmentId, prNamespace, prRepoNamespace, slugify } from "./naming.js";
import type { RawSpec } from "./schema.js";
import type { Variables } from "./variables.js";

export interface Identity {
  id: string;
  name: string;
  namespace: string;
  url: string | null;
  /** The variables with the identity's built-ins (PRBOX_ENV_ID, PRBOX_NAMESPACE) added. */
  vars: Variables;
}

/**
 * Works out the environment's id, namespace, name and URL. In PR mode the id is derived from
 * the PR (a spec's static `id` would make every PR share one record) and the namespace gets the
 * PR's suffix unless the spec's namespace already refers to a PR-specific built-in.
 */
export function resolveIdentity(ctx: SpecContext, spec: RawSpec, vars: Variables, pr: PrContext | null): Identity {
  const id = pr ? prEnvironmentId(pr.forge, pr.repo, pr.pr) : cliId(ctx, spec, vars);
  const builtins = builtinVariables(ctx, pr, id);
  const withId = vars.with("builtin", builtins);
  const namespace = pr ? prModeNamespace(ctx, spec, withId, pr) : cliNamespace(ctx, spec, withId, id);
  const all = vars.with("builtin", { ...builtins, PRBOX_NAMESPACE: namespace });
  return {
    id,
    name: ctx.text(spec.name, ["name"], all) ?? id,
    namespace,
    url: ctx.text(spec.url, ["url"], all) || null,
    vars: all,
  };
}

/** PWD (the root of the sources) and, in PR mode, the PRBOX_* built-ins. */
export function builtinVariables(ctx: SpecContext, pr: PrContext | null, id?: string): Record<string, string> {
  const builtins: Record<string, string> = { PWD: ctx.tree.root };
  if (pr) Object.assign(builtins, prBuiltins(pr, id ?? prEnvironmentId(pr.forge, pr.repo, pr.pr)));
  else if (id) builtins.PRBOX_ENV_ID = id;
  return builtins;
}

/** CLI mode: the spec's id (a label value), else one made from its namespace or name. */
function cliId(ctx: SpecContext, spec: RawSpec, vars: Variables): string {
  const raw = ctx.text(spec.id, ["id"], vars) ?? ctx.text(spec.namespace, ["namespace"], vars) ?? ctx.text(spec.name, ["name"], vars);
  if (!raw?.trim()) {
    throw new SpecError("the environment has no id", {
      location: { file: ctx.source.file },
      hint: 'add id = "my-environment" at the top of environment.toml',
    });
  }
  return /^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/.test(raw) ? raw : dnsLabel(raw);
}

function cliNamespace(ctx: SpecContext, spec: RawSpec, vars: Variables, id: string): string {
  const namespace = ctx.text(spec.namespace, ["namespace"], vars);
  if (namespace === undefined) return dnsLabel(id);
  return checkedNamespace(ctx, namespace);
}

function prModeNamespace(ctx: SpecContext, spec: RawSpec, vars: Variables, pr: PrContext): string {
  if (spec.namespace === undefined) return prRepoNamespace(pr.forge, pr.repo, pr.pr);
  const written = ctx.text(spec.namespace, ["namespace"], vars) ?? "";
  const used = referencedVariables(spec.namespace);
  if (used.has("PRBOX_NAMESPACE")) {
    throw new SpecError("namespace cannot refer to ${PRBOX_NAMESPACE}, which is made from it", {
      location: ctx.locate(["namespace"]),
    });
  }
  const prSpecific = PR_SPECIFIC.some((name) => used.has(name));
  return prSpecific ? checkedNamespace(ctx, written) : prNamespace(written, pr.pr);
}

function checkedNamespace(ctx: SpecContext, namespace: string): string {
  if (isDnsLabel(namespace)) return namespace;
  const suggestion = slugify(namespace) || "my-environment";
  throw new SpecError(`namespace "${namespace}" is not a valid Kubernetes namespace name`, {
    location: ctx.locate(["namespace"]),
    hint: `use lower-case letters, digits and dashes, at most 63 characters, e.g. "${suggestion.slice(0, 63)}"`,
  });
}
