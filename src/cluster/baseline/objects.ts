import { BASELINE_NAME, type Baseline, type PodSecurityLevel } from "../../config/baseline.js";
import type { KubeObject } from "../../model.js";
import { LABEL_MANAGED_BY, MANAGED_BY } from "../keys.js";

export { BASELINE_NAME };
/**
 * On the baseline's objects and copied Secrets instead of prbox.dev/environment: prune and
 * /reload select an environment's objects by that label and must never remove the baseline.
 */
export const LABEL_BASELINE = "prbox.dev/baseline";
/** On a copied Secret: the namespace it was copied from. */
export const LABEL_COPIED_FROM = "prbox.dev/copied-from";

const PSA = "pod-security.kubernetes.io";

/** Enforce at the operator's level; warn and audit always at restricted, so users see what is coming. */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return {
    [`${PSA}/enforce`]: level,
    [`${PSA}/enforce-version`]: "latest",
    [`${PSA}/warn`]: "restricted",
    [`${PSA}/warn-version`]: "latest",
    [`${PSA}/audit`]: "restricted",
    [`${PSA}/audit-version`]: "latest",
  };
}

function metadata(name: string, namespace: string): KubeObject["metadata"] {
  return { name, namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_BASELINE]: "true" } };
}

/** IPv4 and IPv6 "everything but": ipBlock's except must lie inside its cidr, so one block per family. */
function egressAllowExcept(deny: readonly string[]): Record<string, unknown>[] {
  const v4 = deny.filter((c) => !c.includes(":"));
  const v6 = deny.filter((c) => c.includes(":"));
  return [
    { ipBlock: { cidr: "0.0.0.0/0", ...(v4.length > 0 ? { except: v4 } : {}) } },
    { ipBlock: { cidr: "::/0", ...(v6.length > 0 ? { except: v6 } : {}) } },
  ];
}

/**
 * Ingress from the namespace itself and the ingress controller's namespaces, nothing else.
 * Egress, when addresses are denied: pods of any namespace (some CNIs never match pod IPs with
 * ipBlock, so DNS and in-cluster services need this peer) and every address but the denied ones.
 */
export function networkPolicy(namespace: string, settings: NonNullable<Baseline["networkPolicy"]>): KubeObject {
  const egress = settings.egressDeny.length > 0;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(BASELINE_NAME, namespace),
    spec: {
      podSelector: {},
      policyTypes: egress ? ["Ingress", "Egress"] : ["Ingress"],
      ingress: [{ from: [{ podSelector: {} }, { namespaceSelector: settings.ingressNamespaces }] }],
      ...(egress ? { egress: [{ to: [{ namespaceSelector: {} }, ...egressAllowExcept(settings.egressDeny)] }] } : {}),
    },
  };
}

export function resourceQuota(namespace: string, hard: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "ResourceQuota", metadata: metadata(BASELINE_NAME, namespace), spec: { hard } };
}

export function limitRange(namespace: string, limits: NonNullable<Baseline["limits"]>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: metadata(BASELINE_NAME, namespace),
    spec: { limits: [{ type: "Container", ...limits }] },
  };
}

/** The baseline's objects for one namespace, and the kinds switched off (to delete if present). */
export function baselineObjects(namespace: string, baseline: Baseline): { apply: KubeObject[]; off: string[] } {
  const apply: KubeObject[] = [];
  const off: string[] = [];
  if (baseline.networkPolicy) apply.push(networkPolicy(namespace, baseline.networkPolicy));
  else off.push("NetworkPolicy");
  if (baseline.quota) apply.push(resourceQuota(namespace, baseline.quota));
  else off.push("ResourceQuota");
  if (baseline.limits) apply.push(limitRange(namespace, baseline.limits));
  else off.push("LimitRange");
  return { apply, off };
}
