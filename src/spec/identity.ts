import { SpecError } from "../errors.js";
import type { PrContext } from "../model.js";
import { prBuiltins } from "./builtins.js";
import type { SpecContext } from "./context.js";
import { referencedVariables } from "./interpolate.js";
import { dnsLabel, isDnsLabel, prEnvironmentId, prRepoNamespace, prSpecNamespace, slugify } from "./naming.js";
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
 * the PR (a spec's static `id` would make every PR share one record) and the namespace always
 * ends in the PR's suffix, whatever the spec's expression gave (issue #12: a default, a branch
 * name or another PR's namespace must never name a namespace that is not this PR's).
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
    url: checkedUrl(ctx, ctx.text(spec.url, ["url"], all) || null),
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
  const raw =
    ctx.text(spec.id, ["id"], vars) ??
    ctx.text(spec.namespace, ["namespace"], vars) ??
    ctx.text(spec.name, ["name"], vars);
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
  if (referencedVariables(spec.namespace).has("PRBOX_NAMESPACE")) {
    throw new SpecError("namespace cannot refer to ${PRBOX_NAMESPACE}, which is made from it", {
      location: ctx.locate(["namespace"]),
    });
  }
  return prSpecNamespace(ctx.text(spec.namespace, ["namespace"], vars) ?? "", pr.pr);
}

function checkedNamespace(ctx: SpecContext, namespace: string): string {
  if (isDnsLabel(namespace)) return namespace;
  const suggestion = slugify(namespace) || "my-environment";
  throw new SpecError(`namespace "${namespace}" is not a valid Kubernetes namespace name`, {
    location: ctx.locate(["namespace"]),
    hint: `use lower-case letters, digits and dashes, at most 63 characters, e.g. "${suggestion.slice(0, 63)}"`,
  });
}

/** Characters a link shown in a comment or page never needs, and markdown or HTML would act on. */
const UNSAFE_IN_URL = /[\s<>"'`()[\]{}|\\^]/;

/**
 * `url` is shown on the pull request as the preview's link: only a well-formed http(s) URL with
 * a host and no user name (`https://github.com@evil.example` reads as GitHub) is accepted, and no
 * character markdown or HTML would act on (a fake approval or a second link).
 */
function checkedUrl(ctx: SpecContext, url: string | null): string | null {
  if (url === null) return null;
  const parsed = URL.canParse(url) ? new URL(url) : null;
  const problem =
    !parsed || !["http:", "https:"].includes(parsed.protocol)
      ? "is not an http(s) URL"
      : parsed.hostname === ""
        ? "has no host"
        : parsed.username !== "" || parsed.password !== ""
          ? "carries a user name or password"
          : UNSAFE_IN_URL.test(url)
            ? "contains spaces, quotes, brackets or other characters a link does not need"
            : null;
  if (problem === null) return url;
  const shown = url.length > 80 ? `${url.slice(0, 79)}…` : url;
  throw new SpecError(`url = ${JSON.stringify(shown)} ${problem}`, {
    location: ctx.locate(["url"]),
    hint: 'write the preview\'s address, e.g. url = "https://${PRBOX_BRANCH_SLUG}-pr-${PRBOX_PR}.preview.example.com"; percent-encode anything else',
  });
}
