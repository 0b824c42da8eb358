import { describe, expect, it } from "vitest";
import { defaultBaseline, type Baseline } from "../../../src/config/baseline.js";
import { RenderError } from "../../../src/errors.js";
import type { KubeObject } from "../../../src/model.js";
import { guardBaseline } from "../../../src/render/baseline-guard.js";

const withSecrets: Baseline = {
  ...defaultBaseline(),
  secrets: { from: "preview-secrets", names: ["registry"], selector: null, imagePullSecrets: ["registry"] },
};

function object(kind: string, name: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: kind === "NetworkPolicy" ? "networking.k8s.io/v1" : "v1", kind, metadata: { name }, spec };
}

function refusal(
  item: KubeObject,
  baseline: Baseline = withSecrets,
  copied: string[] = ["registry"],
): string | undefined {
  try {
    guardBaseline(item, "deploy/objects.yaml", baseline, { copiedSecrets: copied, namespace: "shop-pr-42" });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).location).toEqual({ file: "deploy/objects.yaml" });
    return (error as RenderError).message;
  }
}

const ingressNginx = { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" }, matchExpressions: [] };

describe("a spec cannot weaken the baseline", () => {
  it.each(["NetworkPolicy", "ResourceQuota", "LimitRange"])("refuses a %s named prbox-baseline", (kind) => {
    expect(refusal(object(kind, "prbox-baseline"))).toBe(
      `${kind} prbox-baseline (deploy/objects.yaml) replaces the baseline's ${kind} prbox-baseline; a pull request cannot weaken its namespace's baseline`,
    );
  });

  it("refuses a Secret named like a copied one, and the default ServiceAccount that carries the pull secrets", () => {
    expect(refusal(object("Secret", "registry"))).toContain(
      "has the name of a Secret the operator copies into every preview",
    );
    expect(refusal(object("Secret", "selected-later"), withSecrets, ["registry", "selected-later"])).toContain(
      "has the name of a Secret the operator copies",
    );
    expect(refusal(object("ServiceAccount", "default"))).toContain("replaces the default ServiceAccount");
    expect(refusal(object("ServiceAccount", "default"), defaultBaseline(), [])).toBeUndefined();
  });

  it("refuses the environment's own Namespace (its labels are the Pod Security level), should the operator allow the kind", () => {
    expect(
      refusal({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "shop-pr-42", labels: { "pod-security.kubernetes.io/enforce": "privileged" } },
      }),
    ).toContain("sets the labels of the environment's own namespace");
  });

  it("refuses NetworkPolicies that open what the baseline closes", () => {
    const policy = (spec: Record<string, unknown>) => refusal(object("NetworkPolicy", "mine", spec));
    expect(policy({ ingress: [{}] })).toContain(
      "loosens the namespace's network isolation: ingress[0] admits every source",
    );
    expect(policy({ ingress: [{ from: [{ podSelector: {} }, { namespaceSelector: {} }] }] })).toContain(
      "ingress[0].from[1] admits other namespaces",
    );
    expect(policy({ ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] })).toContain(
      "ingress[0].from[0] admits addresses (ipBlock)",
    );
    expect(policy({ egress: [{}] })).toContain(
      "egress[0] allows every destination, 169.254.169.254/32, fd00:ec2::254/128 included",
    );
    expect(policy({ egress: [{ to: [{ ipBlock: { cidr: "169.254.0.0/16" } }] }] })).toContain(
      "egress[0].to[0] allows 169.254.169.254/32",
    );
    expect(policy({ egress: [{ to: [{ ipBlock: { cidr: "::/0" } }] }] })).toContain("allows fd00:ec2::254/128");
  });

  it("accepts NetworkPolicies that only narrow or repeat the baseline", () => {
    const policy = (spec: Record<string, unknown>) => refusal(object("NetworkPolicy", "mine", spec));
    expect(
      policy({
        podSelector: { matchLabels: { app: "db" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "api" } } }] }],
      }),
    ).toBeUndefined();
    expect(policy({ ingress: [{ from: [{ namespaceSelector: ingressNginx }] }] })).toBeUndefined();
    expect(
      policy({
        egress: [
          { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.0.0/16"] } }, { ipBlock: { cidr: "10.0.0.0/8" } }] },
        ],
      }),
    ).toBeUndefined();
    expect(policy({ policyTypes: ["Ingress"], ingress: [] })).toBeUndefined();
  });

  it("lets everything through when the operator allows overrides, or when isolation is off", () => {
    const allow = { ...withSecrets, allowOverride: true };
    expect(refusal(object("ResourceQuota", "prbox-baseline"), allow)).toBeUndefined();
    expect(refusal(object("Secret", "registry"), allow)).toBeUndefined();
    expect(
      refusal(object("NetworkPolicy", "open", { ingress: [{}] }), { ...withSecrets, networkPolicy: null }),
    ).toBeUndefined();
  });
});
