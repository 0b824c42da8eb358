import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { deployEnvironment } from "../../../src/cluster/index.js";
import { ClusterError } from "../../../src/errors.js";
import type { KubeObject, RenderedEnvironment, RenderedObject } from "../../../src/model.js";
import { configMap, deployment, job, main, testCluster, testEnvironment } from "../../support/cluster-fixtures.js";

const cluster = testCluster();

const newEnvironment = (objects: RenderedObject[], mode: "pr" | "cli" = "pr") =>
  testEnvironment(cluster, "apply", objects, mode);

async function read<T = KubernetesObject>(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
): Promise<T> {
  return (await cluster.objects.read({ apiVersion, kind, metadata: { name, namespace } })) as T;
}

const deploy = (rendered: RenderedEnvironment) =>
  deployEnvironment(cluster, rendered, { wait: false, timeoutMs: 30_000 });

describe("applying a render", () => {
  it("creates every object in the environment's namespace, labelled as prbox's and the environment's", async () => {
    const rendered = newEnvironment([main(configMap("settings")), main(deployment("web"))]);
    const result = await deploy(rendered);

    const ns = rendered.environment.namespace;
    expect(result.namespace).toBe(ns);
    expect(result.applied).toEqual([
      { apiVersion: "v1", kind: "ConfigMap", namespace: ns, name: "settings" },
      { apiVersion: "apps/v1", kind: "Deployment", namespace: ns, name: "web" },
    ]);
    for (const [apiVersion, kind, name] of [
      ["v1", "ConfigMap", "settings"],
      ["apps/v1", "Deployment", "web"],
    ] as const) {
      const object = await read(apiVersion, kind, ns, name);
      expect(object.metadata?.labels).toMatchObject({
        "app.kubernetes.io/managed-by": "prbox",
        "prbox.dev/environment": rendered.environment.id,
      });
      expect(object.metadata?.managedFields?.some((f) => f.manager === "prbox" && f.operation === "Apply")).toBe(true);
    }
  });

  it("sets the prbox labels again when a chart's object lacks or overrides them", async () => {
    const stray = configMap("stray");
    stray.metadata.labels = { "app.kubernetes.io/managed-by": "Helm", team: "shop" };
    const rendered = newEnvironment([main(stray)]);
    await deploy(rendered);

    const object = await read("v1", "ConfigMap", rendered.environment.namespace, "stray");
    expect(object.metadata?.labels).toEqual({
      "app.kubernetes.io/managed-by": "prbox",
      "prbox.dev/environment": rendered.environment.id,
      team: "shop",
    });
  });

  it("changes nothing when the same render is applied again", async () => {
    const rendered = newEnvironment([main(configMap("settings")), main(deployment("web"))]);
    await deploy(rendered);
    const ns = rendered.environment.namespace;
    const before = await read("apps/v1", "Deployment", ns, "web");
    const settingsBefore = await read("v1", "ConfigMap", ns, "settings");

    const again = await deploy(rendered);

    const after = await read("apps/v1", "Deployment", ns, "web");
    const settingsAfter = await read("v1", "ConfigMap", ns, "settings");
    expect(again.pruned).toEqual([]);
    expect(after.metadata?.uid).toBe(before.metadata?.uid);
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
    expect(settingsAfter.metadata?.resourceVersion).toBe(settingsBefore.metadata?.resourceVersion);
  });

  it("sends fields the client library's models would drop (NetworkPolicy from, LimitRange default)", async () => {
    const policy: KubeObject = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "from-frontend" },
      spec: { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: "frontend" } } }] }] },
    };
    const limits: KubeObject = {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: { name: "defaults" },
      spec: { limits: [{ type: "Container", default: { memory: "256Mi" } }] },
    };
    const rendered = newEnvironment([main(policy), main(limits)]);
    await deploy(rendered);

    const ns = rendered.environment.namespace;
    const storedPolicy = await read<{ spec: { ingress: { _from?: unknown[] }[] } }>(
      "networking.k8s.io/v1",
      "NetworkPolicy",
      ns,
      "from-frontend",
    );
    const storedLimits = await read<{ spec: { limits: { _default?: Record<string, string> }[] } }>(
      "v1",
      "LimitRange",
      ns,
      "defaults",
    );
    // client-node's models rename these fields when reading: `from` is `_from`, `default` is `_default`.
    expect(storedPolicy.spec.ingress[0]?._from).toHaveLength(1);
    expect(storedLimits.spec.limits[0]?._default).toEqual({ memory: "256Mi" });
  });

  it("replaces a Job whose immutable pod template changed", async () => {
    const rendered = newEnvironment([main(job("migrate", { image: "registry.example.com/migrate:1" }))]);
    await deploy(rendered);
    const ns = rendered.environment.namespace;
    const first = await read("batch/v1", "Job", ns, "migrate");

    const changed = { ...rendered, objects: [main(job("migrate", { image: "registry.example.com/migrate:2" }))] };
    await deploy(changed);

    const second = await read<{
      metadata: { uid: string };
      spec: { template: { spec: { containers: { image: string }[] } } };
    }>("batch/v1", "Job", ns, "migrate");
    expect(second.metadata.uid).not.toBe(first.metadata?.uid);
    expect(second.spec.template.spec.containers[0]?.image).toBe("registry.example.com/migrate:2");
  });

  it("re-creates every object on a fresh deploy (/reload) but keeps the namespace", async () => {
    const rendered = newEnvironment([main(configMap("settings")), main(deployment("web"))]);
    await deploy(rendered);
    const ns = rendered.environment.namespace;
    const namespaceBefore = await cluster.core.readNamespace({ name: ns });
    const before = await read("apps/v1", "Deployment", ns, "web");

    await deployEnvironment(cluster, rendered, { wait: true, timeoutMs: 30_000, fresh: true });

    const after = await read("apps/v1", "Deployment", ns, "web");
    expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
    expect((await cluster.core.readNamespace({ name: ns })).metadata?.uid).toBe(namespaceBefore.metadata?.uid);
  });
});

describe("refusing what a pull request environment may not create", () => {
  it("refuses a cluster-scoped object and an object in another namespace before applying anything", async () => {
    const clusterRole: KubeObject = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "root" },
      rules: [],
    };
    const elsewhere = configMap("elsewhere");
    elsewhere.metadata.namespace = "kube-system";
    const rendered = newEnvironment([main(configMap("settings")), main(clusterRole), main(elsewhere)]);

    const error: unknown = await deploy(rendered).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ClusterError);
    expect(error).toMatchObject({ kind: "permanent" });
    const message = (error as Error).message;
    expect(message).toContain(
      "ClusterRole root (box app, templates/root.yaml): cluster-scoped objects are not allowed in a pull request environment",
    );
    expect(message).toContain(
      `ConfigMap elsewhere in kube-system (box app, templates/elsewhere.yaml): a pull request environment may only create objects in its namespace ${rendered.environment.namespace}`,
    );
    await expect(cluster.core.readNamespace({ name: rendered.environment.namespace })).rejects.toMatchObject({
      code: 404,
    });
  });

  it("refuses a kind the cluster does not serve, naming the missing CustomResourceDefinition", async () => {
    const widget: KubeObject = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } };
    const rendered = newEnvironment([main(widget)]);

    await expect(deploy(rendered)).rejects.toMatchObject({
      kind: "permanent",
      message: expect.stringContaining(
        "the cluster does not serve example.com/v1 Widget; install its CustomResourceDefinition first",
      ),
    });
  });

  it("lets through, in a pull request environment, a kind the operator allowed (PRBOX_ALLOW_KINDS)", async () => {
    const rendered = newEnvironment([main(configMap("here"))]);
    const otherNamespace = `${rendered.environment.namespace}-shared`;
    const there = configMap("there");
    there.metadata.namespace = otherNamespace;
    const secret: KubeObject = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "elsewhere", namespace: otherNamespace },
      stringData: { a: "b" },
    };
    rendered.objects.push(main(there), main(secret));

    const refused: unknown = await deploy({ ...rendered, allowedKinds: ["ConfigMap"] }).catch((e: unknown) => e);
    expect((refused as Error).message).toContain(`Secret elsewhere in ${otherNamespace}`);
    expect((refused as Error).message).not.toContain("ConfigMap there");

    rendered.objects.pop();
    const result = await deploy({ ...rendered, allowedKinds: ["ConfigMap"] });
    expect(result.applied.map((r) => r.namespace)).toEqual([rendered.environment.namespace, otherNamespace]);
  });

  it("allows, in CLI mode, an object in another namespace of the environment", async () => {
    const rendered = newEnvironment([main(configMap("here"))], "cli");
    const otherNamespace = `${rendered.environment.namespace}-db`;
    const there = configMap("there");
    there.metadata.namespace = otherNamespace;
    rendered.objects.push(main(there));

    const result = await deploy(rendered);

    expect(result.applied.map((r) => r.namespace)).toEqual([rendered.environment.namespace, otherNamespace]);
    const extra = await cluster.core.readNamespace({ name: otherNamespace });
    expect(extra.metadata?.labels?.["prbox.dev/environment"]).toBe(rendered.environment.id);
  });
});
