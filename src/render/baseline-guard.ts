import { BlockList, isIPv4 } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { BASELINE_NAME, type Baseline } from "../config/baseline.js";
import { RenderError } from "../errors.js";
import type { KubeObject } from "../model.js";
import { checkPodSecurity } from "./pod-security.js";

/**
 * A pull request's spec cannot weaken its namespace's baseline (ADR 15): it may not replace the
 * NetworkPolicy, ResourceQuota or LimitRange prbox-baseline, shadow a copied Secret, take over the
 * default ServiceAccount that carries the pull secrets, or add a NetworkPolicy that opens what the
 * baseline closes (NetworkPolicies add up: one more rule is one more way in). The operator may
 * allow it (PRBOX_ALLOW_BASELINE_OVERRIDE). Render time and deploy time (Secrets a selector copies
 * are only known there) run the same check.
 */
const BASELINE_KINDS = new Set(["NetworkPolicy", "ResourceQuota", "LimitRange"]);

type Peer = { podSelector?: unknown; namespaceSelector?: unknown; ipBlock?: { cidr?: string; except?: string[] } };
type Rule = { from?: Peer[]; to?: Peer[] };

function family(cidr: string): "ipv4" | "ipv6" {
  return isIPv4(cidr.split("/")[0] ?? "") ? "ipv4" : "ipv6";
}

function blockOf(cidr: string): BlockList {
  const [address = "", prefix = "0"] = cidr.split("/");
  const list = new BlockList();
  list.addSubnet(address, Number(prefix), family(cidr));
  return list;
}

/** Whether the ipBlock lets traffic reach the denied range (overlaps it, and no except covers it). */
function reaches(block: { cidr?: string; except?: string[] }, denied: string): boolean {
  const cidr = block.cidr ?? "";
  if (family(cidr) !== family(denied)) return false;
  const [deniedAddress = ""] = denied.split("/");
  const [blockAddress = ""] = cidr.split("/");
  const overlaps =
    blockOf(cidr).check(deniedAddress, family(denied)) || blockOf(denied).check(blockAddress, family(cidr));
  const excepted = (block.except ?? []).some(
    (e) =>
      family(e) === family(denied) &&
      blockOf(e).check(deniedAddress, family(denied)) &&
      Number(e.split("/")[1]) <= Number(denied.split("/")[1]),
  );
  return overlaps && !excepted;
}

function ingressProblem(rules: Rule[], allowed: unknown): string | undefined {
  for (const [i, rule] of rules.entries()) {
    if (!rule.from || rule.from.length === 0) return `ingress[${i}] admits every source`;
    for (const [j, peer] of rule.from.entries()) {
      if (peer.ipBlock) return `ingress[${i}].from[${j}] admits addresses (ipBlock)`;
      if (peer.namespaceSelector !== undefined && !isDeepStrictEqual(peer.namespaceSelector, allowed)) {
        return `ingress[${i}].from[${j}] admits other namespaces than the ingress controller's`;
      }
    }
  }
  return undefined;
}

function egressProblem(rules: Rule[], denied: readonly string[]): string | undefined {
  for (const [i, rule] of rules.entries()) {
    if (!rule.to || rule.to.length === 0) return `egress[${i}] allows every destination, ${denied.join(", ")} included`;
    for (const [j, peer] of rule.to.entries()) {
      const reached = peer.ipBlock ? denied.find((d) => reaches(peer.ipBlock ?? {}, d)) : undefined;
      if (reached) return `egress[${i}].to[${j}] allows ${reached}, which the baseline denies`;
    }
  }
  return undefined;
}

/** A spec's NetworkPolicy that opens what the baseline's closes; undefined when it only narrows. */
function looserPolicy(object: KubeObject, baseline: Baseline): string | undefined {
  const settings = baseline.networkPolicy;
  if (!settings) return undefined;
  const spec = (object.spec ?? {}) as { ingress?: Rule[]; egress?: Rule[] };
  return (
    ingressProblem(spec.ingress ?? [], settings.ingressNamespaces) ??
    (settings.egressDeny.length > 0 ? egressProblem(spec.egress ?? [], settings.egressDeny) : undefined)
  );
}

/** What the guard knows of the namespace: the Secrets copied into it, and its name. */
export interface GuardContext {
  /** The named ones at render time; at deploy time also those the selector matched. */
  copiedSecrets: readonly string[];
  namespace: string;
}

function problemOf(
  object: KubeObject,
  baseline: Baseline,
  { copiedSecrets, namespace }: GuardContext,
): string | undefined {
  const { kind, metadata } = object;
  // Only reachable when the operator allows the kind Namespace: its labels are the Pod Security level.
  if (kind === "Namespace" && metadata.name === namespace)
    return "sets the labels of the environment's own namespace (its Pod Security level among them)";
  if (BASELINE_KINDS.has(kind) && metadata.name === BASELINE_NAME)
    return `replaces the baseline's ${kind} ${BASELINE_NAME}`;
  if (kind === "Secret" && copiedSecrets.includes(metadata.name))
    return `has the name of a Secret the operator copies into every preview`;
  if (
    kind === "ServiceAccount" &&
    metadata.name === "default" &&
    (baseline.secrets?.imagePullSecrets.length ?? 0) > 0
  ) {
    return "replaces the default ServiceAccount, which carries the operator's imagePullSecrets (use a ServiceAccount of your own name)";
  }
  if (kind === "NetworkPolicy") {
    const looser = looserPolicy(object, baseline);
    if (looser) return `loosens the namespace's network isolation: ${looser}`;
  }
  return undefined;
}

/** Refuses an object of a pull request's spec that would weaken the baseline. */
export function guardBaseline(object: KubeObject, source: string, baseline: Baseline, context: GuardContext): void {
  if (baseline.allowOverride) return;
  const problem = problemOf(object, baseline, context);
  if (problem === undefined) return;
  throw new RenderError(
    `${object.kind} ${object.metadata.name} (${source}) ${problem}; a pull request cannot weaken its namespace's baseline`,
    {
      location: { file: source },
      hint: "rename or remove the object (the baseline already isolates, bounds and supplies the namespace), or ask the operator to set PRBOX_ALLOW_BASELINE_OVERRIDE=true",
    },
  );
}

/** Every render-time check of a pull request's object against the baseline: Pod Security, then the guard. */
export function checkAgainstBaseline(object: KubeObject, source: string, baseline: Baseline, namespace: string): void {
  checkPodSecurity(object, source, baseline.podSecurity);
  guardBaseline(object, source, baseline, { copiedSecrets: baseline.secrets?.names ?? [], namespace });
}
