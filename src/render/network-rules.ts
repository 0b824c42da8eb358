import { RenderError } from "../errors.js";
import type { KubeObject, RenderedObject } from "../model.js";
import type { RenderPolicy } from "../spec/context.js";

/** Service types a pull request may use without the operator's word: the in-cluster ClusterIP. */
const OPEN_TYPES = new Set(["ClusterIP", undefined]);
/** Hand-written endpoints send a Service's traffic anywhere (the API server, another namespace's pods). */
export const ENDPOINT_KINDS = ["Endpoints", "EndpointSlice"];
/** Gateway API routes claim hosts like an Ingress does. */
const ROUTE_KINDS = new Set(["HTTPRoute", "GRPCRoute", "TLSRoute"]);

interface ServiceSpec {
  type?: string;
  externalIPs?: string[];
}

interface IngressSpec {
  defaultBackend?: unknown;
  backend?: unknown;
  rules?: { host?: string }[];
  tls?: { hosts?: string[] }[];
}

/**
 * The network is not a way out of a pull request's environment (issue #12): no node ports, load
 * balancers, ExternalNames, external IPs or hand-written endpoints unless the operator allows
 * them, and an Ingress (or route) may claim only hosts that are the PR's.
 */
export function checkNetwork(objects: readonly RenderedObject[], pr: number, policy: RenderPolicy): void {
  for (const item of objects) {
    const { object } = item;
    if (object.kind === "Service") checkService(item, policy);
    else if (ENDPOINT_KINDS.includes(object.kind) && !policy.allowKinds.includes(object.kind)) {
      throw refusal(
        item,
        `is a hand-written ${object.kind}; it would send a Service's traffic to any address`,
        `let a Service with a selector manage its endpoints, or ask the operator to allow the kind ${object.kind} (PRBOX_ALLOW_KINDS)`,
      );
    } else if (object.kind === "Ingress") checkIngress(item, pr, policy);
    else if (ROUTE_KINDS.has(object.kind) && object.apiVersion.startsWith("gateway.networking.k8s.io/"))
      checkRoute(item, pr, policy);
  }
}

function checkService(item: RenderedObject, policy: RenderPolicy): void {
  const spec = (item.object.spec ?? {}) as ServiceSpec;
  if (!OPEN_TYPES.has(spec.type) && !policy.allowServiceTypes.includes(spec.type as string)) {
    throw refusal(
      item,
      `is of type ${spec.type}, which reaches outside the environment`,
      `use type ClusterIP (the default) and an Ingress, or ask the operator to add ${spec.type} to PRBOX_ALLOW_SERVICE_TYPES`,
    );
  }
  if ((spec.externalIPs ?? []).length > 0 && !policy.allowServiceTypes.includes("ExternalIPs")) {
    throw refusal(
      item,
      `sets spec.externalIPs (${spec.externalIPs?.join(", ")}), which captures traffic to those addresses`,
      "remove spec.externalIPs, or ask the operator to add ExternalIPs to PRBOX_ALLOW_SERVICE_TYPES",
    );
  }
}

/** ingress-nginx's *-snippet annotations are raw controller configuration: they can read the controller's own secrets. */
const SNIPPET_ANNOTATION = /^[a-z0-9.-]*\/[a-z-]*snippets?$/;

function checkIngress(item: RenderedObject, pr: number, policy: RenderPolicy): void {
  const snippet = Object.keys(item.object.metadata.annotations ?? {}).find((key) => SNIPPET_ANNOTATION.test(key));
  if (snippet !== undefined && !policy.allowIngressSnippets) {
    throw refusal(
      item,
      `sets the annotation ${snippet}: configuration snippets run inside the shared ingress controller, which can read its secrets`,
      "configure the route with the controller's ordinary annotations, or ask the operator to set PRBOX_ALLOW_INGRESS_SNIPPETS",
    );
  }
  const spec = (item.object.spec ?? {}) as IngressSpec;
  if (spec.defaultBackend !== undefined || spec.backend !== undefined) {
    throw refusal(
      item,
      "sets a default backend, which claims every host the ingress controller serves",
      `give every rule a host with pr-${pr} in it`,
    );
  }
  for (const rule of spec.rules ?? []) {
    if (!rule.host)
      throw refusal(
        item,
        "has a rule without a host, which claims every host the ingress controller serves",
        `give the rule a host with pr-${pr} in it`,
      );
    checkHost(item, rule.host, pr, policy);
  }
  for (const host of (spec.tls ?? []).flatMap((entry) => entry.hosts ?? [])) checkHost(item, host, pr, policy);
}

function checkRoute(item: RenderedObject, pr: number, policy: RenderPolicy): void {
  const hostnames = (item.object.spec as { hostnames?: string[] } | undefined)?.hostnames ?? [];
  if (hostnames.length === 0)
    throw refusal(
      item,
      "lists no hostnames, which claims every host of its gateway",
      `list hostnames with pr-${pr} in them`,
    );
  for (const host of hostnames) checkHost(item, host, pr, policy);
}

/** A host is the PR's when it holds `pr-<N>` as a whole part (`app-pr-42.x`, not `pr-420.x`) or matches an operator's pattern. */
export function isPullRequestHost(host: string, pr: number, patterns: readonly string[]): boolean {
  const lower = host.toLowerCase();
  if (new RegExp(`(^|[.-])pr-${pr}($|[.-])`).test(lower)) return true;
  return patterns.some((pattern) => hostPattern(pattern).test(lower));
}

/** `*.preview.example.com`: `*` is one DNS label (no dots), everything else literal. */
function hostPattern(pattern: string): RegExp {
  const parts = pattern
    .toLowerCase()
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join("[a-z0-9-]+")}$`);
}

function checkHost(item: RenderedObject, host: string, pr: number, policy: RenderPolicy): void {
  if (isPullRequestHost(host, pr, policy.ingressHosts)) return;
  const allowed = policy.ingressHosts.length > 0 ? ` or match ${policy.ingressHosts.join(", ")}` : "";
  throw refusal(
    item,
    `claims the host ${host}, which is not this pull request's (a host must contain pr-${pr}${allowed})`,
    `use a host such as app-pr-${pr}.<your preview domain>, e.g. "\${PRBOX_BRANCH_SLUG}-pr-\${PRBOX_PR}.preview.example.com", or ask the operator to allow a pattern (PRBOX_INGRESS_HOSTS)`,
  );
}

function refusal(item: { object: KubeObject; source: string }, why: string, hint: string): RenderError {
  return new RenderError(`${item.object.kind} ${item.object.metadata.name} (${item.source}) ${why}`, {
    location: { file: item.source },
    hint,
  });
}
