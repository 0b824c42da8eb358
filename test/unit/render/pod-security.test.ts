import { describe, expect, it } from "vitest";
import { RenderError } from "../../../src/errors.js";
import type { KubeObject } from "../../../src/model.js";
import { checkPodSecurity, podSecurityViolations } from "../../../src/render/pod-security.js";

function deployment(
  spec: Record<string, unknown>,
  containerSecurity: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): KubeObject {
  const container = { name: "web", image: "nginx", securityContext: containerSecurity, ...extra };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [container], ...spec } },
    },
  };
}

const RESTRICTED_OK = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
  runAsNonRoot: true,
  seccompProfile: { type: "RuntimeDefault" },
};

describe("Pod Security at render time", () => {
  it("passes a plain Deployment at baseline, and names what restricted still wants", () => {
    const plain = deployment({});
    expect(podSecurityViolations(plain, "baseline")).toEqual([]);
    expect(podSecurityViolations(plain, "restricted")).toEqual([
      'allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false)',
      'unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"])',
      'runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true)',
      'seccompProfile (pod or container "web" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ]);
    expect(podSecurityViolations(deployment({}, RESTRICTED_OK), "restricted")).toEqual([]);
  });

  it.each([
    [
      "privileged",
      deployment({}, { privileged: true }),
      'privileged (container "web" must not set securityContext.privileged=true)',
    ],
    [
      "hostPath",
      deployment({ volumes: [{ name: "root", hostPath: { path: "/" } }] }),
      'hostPath volumes (volume "root")',
    ],
    [
      "hostNetwork",
      deployment({ hostNetwork: true, hostPID: true }),
      "host namespaces (hostNetwork=true, hostPID=true)",
    ],
    ["hostIPC", deployment({ hostIPC: true }), "host namespaces (hostIPC=true)"],
    [
      "added capabilities",
      deployment({}, { capabilities: { add: ["NET_ADMIN", "CHOWN", "SYS_ADMIN"] } }),
      'non-default capabilities (container "web" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add)',
    ],
    [
      "hostPort",
      deployment({}, {}, { ports: [{ containerPort: 80, hostPort: 80 }] }),
      'hostPort (container "web" uses hostPort 80)',
    ],
    [
      "procMount",
      deployment({}, { procMount: "Unmasked" }),
      'procMount (container "web" must not set securityContext.procMount to "Unmasked")',
    ],
    [
      "seccomp Unconfined",
      deployment({ securityContext: { seccompProfile: { type: "Unconfined" } } }),
      'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")',
    ],
    [
      "sysctls",
      deployment({
        securityContext: {
          sysctls: [
            { name: "kernel.msgmax", value: "1" },
            { name: "net.ipv4.tcp_syncookies", value: "1" },
          ],
        },
      }),
      "forbidden sysctls (kernel.msgmax)",
    ],
    [
      "SELinux user",
      deployment({}, { seLinuxOptions: { user: "system_u" } }),
      'seLinuxOptions (container "web" may set only an allowed seLinuxOptions.type, never user or role)',
    ],
    [
      "hostProcess",
      deployment({}, { windowsOptions: { hostProcess: true } }),
      'hostProcess (container "web" must not set securityContext.windowsOptions.hostProcess=true)',
    ],
  ])("finds %s at baseline", (_name, object, message) => {
    expect(podSecurityViolations(object, "baseline")).toEqual([message]);
  });

  it("looks into every kind that makes pods, init containers included", () => {
    const privileged = {
      containers: [{ name: "app", image: "x" }],
      initContainers: [{ name: "setup", image: "x", securityContext: { privileged: true } }],
    };
    const kinds: KubeObject[] = [
      { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: privileged },
      {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: "c" },
        spec: { jobTemplate: { spec: { template: { spec: privileged } } } },
      },
      { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "s" }, spec: { template: { spec: privileged } } },
      { apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "d" }, spec: { template: { spec: privileged } } },
      { apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" }, spec: { template: { spec: privileged } } },
    ];
    for (const object of kinds)
      expect(podSecurityViolations(object, "baseline"), object.kind).toEqual([
        'privileged (container "setup" must not set securityContext.privileged=true)',
      ]);
  });

  it("checks nothing at privileged, and nothing in kinds without pods", () => {
    expect(podSecurityViolations(deployment({ hostNetwork: true }, { privileged: true }), "privileged")).toEqual([]);
    expect(
      podSecurityViolations(
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { hostNetwork: "true" } },
        "restricted",
      ),
    ).toEqual([]);
  });

  it("refuses restricted volume types only at restricted", () => {
    const nfs = deployment(
      {
        volumes: [
          { name: "share", nfs: { server: "nfs", path: "/" } },
          { name: "cfg", configMap: { name: "c" } },
        ],
      },
      RESTRICTED_OK,
    );
    expect(podSecurityViolations(nfs, "baseline")).toEqual([]);
    expect(podSecurityViolations(nfs, "restricted")).toEqual([
      'restricted volume types (volume "share" uses restricted volume type "nfs")',
    ]);
  });

  it("throws one RenderError naming the object, its file and every rule", () => {
    const error = (() => {
      try {
        checkPodSecurity(
          deployment({ hostNetwork: true }, { privileged: true }),
          "chart/templates/web.yaml",
          "baseline",
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).message).toBe(
      'Deployment web (chart/templates/web.yaml): pods would be refused by Pod Security "baseline": host namespaces (hostNetwork=true); privileged (container "web" must not set securityContext.privileged=true)',
    );
    expect((error as RenderError).location).toEqual({ file: "chart/templates/web.yaml" });
    expect((error as RenderError).hint).toContain("PRBOX_POD_SECURITY");
  });
});
