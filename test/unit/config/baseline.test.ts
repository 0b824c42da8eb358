import { describe, expect, it } from "vitest";
import { defaultBaseline } from "../../../src/config/baseline.js";
import { ConfigError, loadBaselineConfig, loadConfig } from "../../../src/config/config.js";
import { parseSelector } from "../../../src/config/selector.js";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("loadConfig accepted the settings");
}

describe("the baseline's settings", () => {
  it("are secure with nothing set: baseline Pod Security, isolation, metadata egress denied, quota and limits on, no override", () => {
    const { baseline } = loadConfig({});
    expect(baseline).toEqual(defaultBaseline());
    expect(baseline.podSecurity).toBe("baseline");
    expect(baseline.networkPolicy).toEqual({
      ingressNamespaces: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" }, matchExpressions: [] },
      egressDeny: ["169.254.169.254/32", "fd00:ec2::254/128"],
    });
    expect(baseline.quota).toMatchObject({
      "requests.cpu": "4",
      "requests.memory": "8Gi",
      pods: "50",
      "services.nodeports": "0",
    });
    expect(baseline.limits).toEqual({ defaultRequest: { cpu: "100m", memory: "128Mi" }, default: { memory: "1Gi" } });
    expect(baseline.secrets).toBeNull();
    expect(baseline.allowOverride).toBe(false);
  });

  it("change each default", () => {
    const { baseline } = loadConfig({
      PRBOX_POD_SECURITY: "restricted",
      PRBOX_INGRESS_NAMESPACES: "team in (edge,web),!legacy",
      PRBOX_EGRESS_DENY: "10.20.0.0/16",
      PRBOX_RESOURCE_QUOTA: "pods=5",
      PRBOX_LIMIT_RANGE: "max.memory=1Gi,default.cpu=1",
      PRBOX_COPY_SECRETS_FROM: "preview-secrets",
      PRBOX_COPY_SECRETS: "registry,db",
      PRBOX_COPY_SECRETS_SELECTOR: "prbox.dev/copy=true",
      PRBOX_IMAGE_PULL_SECRETS: "registry",
      PRBOX_ALLOW_BASELINE_OVERRIDE: "true",
    });
    expect(baseline).toEqual({
      podSecurity: "restricted",
      networkPolicy: {
        ingressNamespaces: {
          matchLabels: {},
          matchExpressions: [
            { key: "team", operator: "In", values: ["edge", "web"] },
            { key: "legacy", operator: "DoesNotExist" },
          ],
        },
        egressDeny: ["10.20.0.0/16"],
      },
      quota: { pods: "5" },
      limits: { max: { memory: "1Gi" }, default: { cpu: "1" } },
      secrets: {
        from: "preview-secrets",
        names: ["registry", "db"],
        selector: "prbox.dev/copy=true",
        imagePullSecrets: ["registry"],
      },
      allowOverride: true,
    });
  });

  it("switch a rule off only when the operator writes off", () => {
    const { baseline } = loadConfig({
      PRBOX_NETWORK_POLICY: "off",
      PRBOX_RESOURCE_QUOTA: "off",
      PRBOX_LIMIT_RANGE: "OFF",
      PRBOX_POD_SECURITY: "privileged",
    });
    expect(baseline).toMatchObject({ networkPolicy: null, quota: null, limits: null, podSecurity: "privileged" });
    expect(loadConfig({ PRBOX_EGRESS_DENY: "off" }).baseline.networkPolicy?.egressDeny).toEqual([]);
    // An empty value is "not set" (as in .env files): the default, never "off".
    expect(loadConfig({ PRBOX_RESOURCE_QUOTA: "" }).baseline.quota).toEqual(defaultBaseline().quota);
  });

  it.each([
    [{ PRBOX_POD_SECURITY: "strict" }, "PRBOX_POD_SECURITY: expected baseline, restricted or privileged"],
    [{ PRBOX_INGRESS_NAMESPACES: "team in (a" }, "PRBOX_INGRESS_NAMESPACES: not a label selector"],
    [{ PRBOX_INGRESS_NAMESPACES: "a=b,,c" }, "PRBOX_INGRESS_NAMESPACES: not a label selector"],
    [
      { PRBOX_COPY_SECRETS_FROM: "s", PRBOX_COPY_SECRETS_SELECTOR: "copy=@yes" },
      "PRBOX_COPY_SECRETS_SELECTOR: not a label selector",
    ],
    [{ PRBOX_EGRESS_DENY: "169.254.169.254" }, 'PRBOX_EGRESS_DENY: "169.254.169.254" is not a CIDR'],
    [
      { PRBOX_RESOURCE_QUOTA: "requests.cpu=four" },
      'PRBOX_RESOURCE_QUOTA: "requests.cpu=four": "four" is not a Kubernetes quantity',
    ],
    [
      { PRBOX_LIMIT_RANGE: "maximum.memory=1Gi" },
      'PRBOX_LIMIT_RANGE: "maximum.memory=1Gi": expected field.resource=quantity',
    ],
    [{ PRBOX_COPY_SECRETS: "registry" }, "PRBOX_COPY_SECRETS_FROM: required with PRBOX_COPY_SECRETS"],
    [
      { PRBOX_COPY_SECRETS_FROM: "preview-secrets" },
      "PRBOX_COPY_SECRETS or PRBOX_COPY_SECRETS_SELECTOR: name the Secrets to copy",
    ],
    [
      { PRBOX_COPY_SECRETS_FROM: "preview-secrets", PRBOX_COPY_SECRETS: "db", PRBOX_IMAGE_PULL_SECRETS: "registry" },
      "PRBOX_IMAGE_PULL_SECRETS: registry not in PRBOX_COPY_SECRETS",
    ],
    [
      { PRBOX_COPY_SECRETS_FROM: "Preview_Secrets", PRBOX_COPY_SECRETS: "db" },
      "PRBOX_COPY_SECRETS_FROM: expected a namespace name",
    ],
  ])("stop start-up with a message naming the setting: %o", (env, message) => {
    expect(problemsOf(env).join("\n")).toContain(message);
  });

  it("are read alone by the CLI in PR mode, with the same errors", () => {
    expect(loadBaselineConfig({ PRBOX_POD_SECURITY: "restricted", APP_ID: "ignored" }).podSecurity).toBe("restricted");
    expect(() => loadBaselineConfig({ PRBOX_POD_SECURITY: "open" })).toThrow(ConfigError);
  });
});

describe("label selectors", () => {
  it("parse every form kubectl accepts", () => {
    expect(parseSelector("a=b, c==d,e!=f,g in (h, i),j notin (k),l,!m,example.com/n=")).toEqual({
      matchLabels: { a: "b", c: "d", "example.com/n": "" },
      matchExpressions: [
        { key: "e", operator: "NotIn", values: ["f"] },
        { key: "g", operator: "In", values: ["h", "i"] },
        { key: "j", operator: "NotIn", values: ["k"] },
        { key: "l", operator: "Exists" },
        { key: "m", operator: "DoesNotExist" },
      ],
    });
  });

  it.each(["", "a=b=c", "-a=b", "a=b c", "a in b", "UPPER.example.com/x=y"])("refuse %j", (text) => {
    expect(() => parseSelector(text)).toThrow();
  });
});
