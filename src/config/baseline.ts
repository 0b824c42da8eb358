import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import { parseSelector, type ParsedSelector } from "./selector.js";

/**
 * The safety baseline of every pull request's namespace (docs/adr/0015-preview-baseline.md):
 * Pod Security, a NetworkPolicy, quota and limits, and the Secrets the operator copies in.
 * Secure by default; the operator may loosen each rule, a spec never can.
 */
export type PodSecurityLevel = "baseline" | "restricted" | "privileged";

export interface LimitRangeSettings {
  default?: Record<string, string>;
  defaultRequest?: Record<string, string>;
  max?: Record<string, string>;
  min?: Record<string, string>;
  maxLimitRequestRatio?: Record<string, string>;
}

export interface SecretCopySettings {
  /** The namespace the operator keeps the Secrets in. */
  from: string;
  names: string[];
  /** A label selector (validated); null: by names only. */
  selector: string | null;
  /** Copied Secrets added to imagePullSecrets of each preview's default ServiceAccount. */
  imagePullSecrets: string[];
}

export interface Baseline {
  podSecurity: PodSecurityLevel;
  /** null: PRBOX_NETWORK_POLICY=off. */
  networkPolicy: { ingressNamespaces: ParsedSelector; egressDeny: string[] } | null;
  /** ResourceQuota spec.hard; null: off. */
  quota: Record<string, string> | null;
  /** LimitRange limits of type Container; null: off. */
  limits: LimitRangeSettings | null;
  secrets: SecretCopySettings | null;
  /** A spec may replace the baseline's objects (PRBOX_ALLOW_BASELINE_OVERRIDE). */
  allowOverride: boolean;
}

/** The name of the baseline's NetworkPolicy, ResourceQuota and LimitRange in every PR namespace. */
export const BASELINE_NAME = "prbox-baseline";

export const DEFAULT_INGRESS_NAMESPACES = "kubernetes.io/metadata.name=ingress-nginx";
export const DEFAULT_EGRESS_DENY = "169.254.169.254/32,fd00:ec2::254/128";
export const DEFAULT_QUOTA =
  "requests.cpu=4,requests.memory=8Gi,pods=50,persistentvolumeclaims=10,requests.storage=50Gi,services.loadbalancers=0,services.nodeports=0";
export const DEFAULT_LIMITS = "defaultRequest.cpu=100m,defaultRequest.memory=128Mi,default.memory=1Gi";

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const RESOURCE = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const LIMIT_FIELDS = ["default", "defaultRequest", "max", "min", "maxLimitRequestRatio"] as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

type Ctx = z.RefinementCtx;

function fail(ctx: Ctx, message: string): typeof z.NEVER {
  ctx.addIssue({ code: "custom", message });
  return z.NEVER;
}

function isOff(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "off";
}

/** `a=1,b=2` → {a: "1", b: "2"}, each value a Kubernetes quantity. */
function quantities(
  text: string,
  ctx: Ctx,
  keyOk: (key: string) => boolean,
  keyHelp: string,
): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const pair of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [key = "", value = "", ...rest] = pair.split("=").map((s) => s.trim());
    if (rest.length > 0 || !keyOk(key)) return fail(ctx, `"${pair}": ${keyHelp}`);
    if (!QUANTITY.test(value))
      return fail(ctx, `"${pair}": "${value}" is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 4Gi)`);
    out[key] = value;
  }
  return out;
}

const quotaSetting = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (isOff(value)) return null;
    return quantities(
      value ?? DEFAULT_QUOTA,
      ctx,
      (key) => RESOURCE.test(key),
      "expected resource=quantity, e.g. requests.cpu=4,pods=50, or off",
    );
  })
  .meta({ format: "off, or resource=quantity pairs, comma-separated", defaultValue: DEFAULT_QUOTA });

const limitsSetting = z
  .string()
  .optional()
  .transform((value, ctx): LimitRangeSettings | null => {
    if (isOff(value)) return null;
    const help = `expected field.resource=quantity with field one of ${LIMIT_FIELDS.join(", ")}, e.g. default.memory=1Gi, or off`;
    const flat = quantities(
      value ?? DEFAULT_LIMITS,
      ctx,
      (key) => LIMIT_FIELDS.some((f) => key.startsWith(`${f}.`) && RESOURCE.test(key.slice(f.length + 1))),
      help,
    );
    if (flat === null) return null;
    const out: LimitRangeSettings = {};
    for (const [key, quantity] of Object.entries(flat)) {
      const dot = key.indexOf(".");
      const field = key.slice(0, dot) as keyof LimitRangeSettings;
      out[field] = { ...out[field], [key.slice(dot + 1)]: quantity };
    }
    return out;
  })
  .meta({ format: "off, or field.resource=quantity pairs, comma-separated", defaultValue: DEFAULT_LIMITS });

function isCidr(text: string): boolean {
  const [address = "", prefix, ...rest] = text.split("/");
  if (rest.length > 0 || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  return (isIPv4(address) && bits <= 32) || (isIPv6(address) && bits <= 128);
}

const cidrsSetting = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (isOff(value)) return [];
    const cidrs = (value ?? DEFAULT_EGRESS_DENY)
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = cidrs.find((c) => !isCidr(c));
    return bad === undefined
      ? cidrs
      : fail(ctx, `"${bad}" is not a CIDR (e.g. 169.254.169.254/32, 10.0.0.0/8); or write off`);
  })
  .meta({ format: "off, or CIDRs, comma-separated", defaultValue: DEFAULT_EGRESS_DENY });

const selectorSetting = (fallback: string | undefined) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = value ?? fallback;
      if (text === undefined) return null;
      try {
        return { text, parsed: parseSelector(text) };
      } catch (error) {
        return fail(
          ctx,
          `not a label selector: ${(error as Error).message}; e.g. kubernetes.io/metadata.name=ingress-nginx`,
        );
      }
    })
    .meta({ format: "label selector (a=b,c in (d,e),!f)", ...(fallback ? { defaultValue: fallback } : {}) });

const names = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const list = (value ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = list.find((n) => !SECRET_NAME.test(n));
    return bad === undefined ? list : fail(ctx, `"${bad}" is not a Secret name (lower-case letters, digits, - and .)`);
  })
  .meta({ format: "comma-separated list" });

/** The settings of the baseline, merged into envSchema (src/config/config.ts). */
export const baselineEnv = {
  PRBOX_POD_SECURITY: z
    .enum(["baseline", "restricted", "privileged"], { error: "expected baseline, restricted or privileged" })
    .default("baseline")
    .describe(
      "The Pod Security Standard every pull request's namespace enforces (label pod-security.kubernetes.io/enforce; warn and audit are always restricted). baseline forbids privileged containers, host namespaces, hostPath volumes, host ports and added capabilities; restricted also requires non-root, no privilege escalation and dropped capabilities; privileged turns enforcement off. prbox render checks the same rules in PR mode. Worker and `prbox run`/`render` in PR mode.",
    ),
  PRBOX_NETWORK_POLICY: z
    .enum(["isolate", "off"], { error: "expected isolate or off" })
    .default("isolate")
    .describe(
      "isolate: a NetworkPolicy prbox-baseline in every pull request's namespace admits traffic only from that namespace and from PRBOX_INGRESS_NAMESPACES, and denies egress to PRBOX_EGRESS_DENY. Needs a CNI that enforces NetworkPolicy (Calico, Cilium, ...; see docs/operations.md). off: no policy. Worker and `prbox run` in PR mode.",
    ),
  PRBOX_INGRESS_NAMESPACES: selectorSetting(DEFAULT_INGRESS_NAMESPACES).describe(
    "A label selector of the namespaces whose pods may reach previews (the ingress controller's), e.g. kubernetes.io/metadata.name in (ingress-nginx,monitoring). Worker.",
  ),
  PRBOX_EGRESS_DENY: cidrsSetting.describe(
    "Addresses no preview pod may connect to: the cloud metadata service by default (it hands out the node's cloud credentials), plus any you list, e.g. 169.254.169.254/32,fd00:ec2::254/128,10.20.0.0/16. off: no egress rule. Worker.",
  ),
  PRBOX_RESOURCE_QUOTA: quotaSetting.describe(
    "The ResourceQuota prbox-baseline of every pull request's namespace (spec.hard), applied before any workload. off: none (a PR can then take the whole cluster). Worker and `prbox run` in PR mode.",
  ),
  PRBOX_LIMIT_RANGE: limitsSetting.describe(
    "The LimitRange prbox-baseline (type Container) of every pull request's namespace: defaults for containers that set no requests or limits (a quota on requests or limits refuses pods without them), and optional min/max. off: none. Worker and `prbox run` in PR mode.",
  ),
  PRBOX_COPY_SECRETS_FROM: z
    .string()
    .regex(DNS_LABEL, { error: "expected a namespace name" })
    .optional()
    .describe(
      "A namespace holding Secrets to copy into every pull request's namespace on every deploy (registry credentials, shared staging services); with PRBOX_COPY_SECRETS and/or PRBOX_COPY_SECRETS_SELECTOR. prbox needs get/list on Secrets there (the chart grants it). Must exist at start-up. Worker.",
    ),
  PRBOX_COPY_SECRETS: names.describe(
    "Names of the Secrets in PRBOX_COPY_SECRETS_FROM to copy, e.g. registry-credentials,staging-db. A spec cannot choose them and may not define Secrets of these names. Worker.",
  ),
  PRBOX_COPY_SECRETS_SELECTOR: selectorSetting(undefined).describe(
    "A label selector of more Secrets in PRBOX_COPY_SECRETS_FROM to copy, e.g. prbox.dev/copy=true. Worker.",
  ),
  PRBOX_IMAGE_PULL_SECRETS: names.describe(
    "Copied Secrets (docker-registry type) to add to imagePullSecrets of each preview namespace's default ServiceAccount, so private images pull without the chart naming them, e.g. registry-credentials. Worker.",
  ),
  PRBOX_ALLOW_BASELINE_OVERRIDE: z
    .enum(["true", "false", "1", "0", "yes", "no", ""], { error: "expected true or false" })
    .optional()
    .transform((value) => value === "true" || value === "1" || value === "yes")
    .meta({ format: "true or false (also 1/0, yes/no)", defaultValue: "false" })
    .describe(
      "Let a spec define objects named like the baseline's (NetworkPolicy, ResourceQuota or LimitRange prbox-baseline, a Secret named like a copied one, the default ServiceAccount when pull secrets are set) and NetworkPolicies that admit other namespaces. Off: refused at render and deploy. Worker.",
    ),
};

const baselineSchema = z.object(baselineEnv);
type BaselineParsed = z.infer<typeof baselineSchema>;

/** The Baseline from parsed settings. */
export function baselineOf(e: BaselineParsed): Baseline {
  const copying = e.PRBOX_COPY_SECRETS_FROM !== undefined;
  return {
    podSecurity: e.PRBOX_POD_SECURITY,
    networkPolicy:
      e.PRBOX_NETWORK_POLICY === "off" || e.PRBOX_INGRESS_NAMESPACES === null
        ? null
        : { ingressNamespaces: e.PRBOX_INGRESS_NAMESPACES.parsed, egressDeny: e.PRBOX_EGRESS_DENY },
    quota: e.PRBOX_RESOURCE_QUOTA,
    limits: e.PRBOX_LIMIT_RANGE,
    secrets: copying
      ? {
          from: e.PRBOX_COPY_SECRETS_FROM as string,
          names: e.PRBOX_COPY_SECRETS,
          selector: e.PRBOX_COPY_SECRETS_SELECTOR?.text ?? null,
          imagePullSecrets: e.PRBOX_IMAGE_PULL_SECRETS,
        }
      : null,
    allowOverride: e.PRBOX_ALLOW_BASELINE_OVERRIDE,
  };
}

/** Settings that only make sense together, one line each. */
export function baselineCrossChecks(e: BaselineParsed): string[] {
  const problems: string[] = [];
  const wantsCopy = e.PRBOX_COPY_SECRETS.length > 0 || e.PRBOX_COPY_SECRETS_SELECTOR !== null;
  if (wantsCopy && !e.PRBOX_COPY_SECRETS_FROM) {
    problems.push(
      "PRBOX_COPY_SECRETS_FROM: required with PRBOX_COPY_SECRETS or PRBOX_COPY_SECRETS_SELECTOR (the namespace the Secrets are copied from)",
    );
  }
  if (e.PRBOX_COPY_SECRETS_FROM && !wantsCopy) {
    problems.push(
      "PRBOX_COPY_SECRETS or PRBOX_COPY_SECRETS_SELECTOR: name the Secrets to copy from PRBOX_COPY_SECRETS_FROM, or unset it",
    );
  }
  if (e.PRBOX_IMAGE_PULL_SECRETS.length > 0 && !e.PRBOX_COPY_SECRETS_FROM) {
    problems.push(
      "PRBOX_IMAGE_PULL_SECRETS: only copied Secrets can be pull secrets; set PRBOX_COPY_SECRETS_FROM and PRBOX_COPY_SECRETS",
    );
  }
  // Without a selector every pull secret must be among the named ones; with one, the deploy checks.
  const unknown = e.PRBOX_IMAGE_PULL_SECRETS.filter((n) => !e.PRBOX_COPY_SECRETS.includes(n));
  if (e.PRBOX_COPY_SECRETS_FROM && e.PRBOX_COPY_SECRETS_SELECTOR === null && unknown.length > 0) {
    problems.push(`PRBOX_IMAGE_PULL_SECRETS: ${unknown.join(", ")} not in PRBOX_COPY_SECRETS; add them there`);
  }
  return problems;
}

/**
 * The baseline from the environment alone, for `prbox run`/`render` in PR mode (the CLI reads no
 * other server setting): the baseline, or every problem, one line each.
 */
export function parseBaseline(
  env: Record<string, string | undefined>,
): { baseline: Baseline } | { problems: string[] } {
  const set = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in baselineEnv && v !== undefined && v !== ""),
  );
  const parsed = baselineSchema.safeParse(set);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  const problems = baselineCrossChecks(parsed.data);
  return problems.length > 0 ? { problems } : { baseline: baselineOf(parsed.data) };
}

let defaults: Baseline | undefined;

/**
 * The baseline with no setting given: what a newcomer gets. Parsed on first use, not when the
 * module loads: `prbox run` loads this module before helm starts and mostly never needs it.
 */
export function defaultBaseline(): Baseline {
  if (defaults) return defaults;
  const parsed = parseBaseline({});
  if ("problems" in parsed) throw new Error(`the baseline's defaults are invalid: ${parsed.problems.join("; ")}`);
  defaults = parsed.baseline;
  return defaults;
}
