// Unchanged re-deploys (issue 15): what prbox skips is really as the render says, and what someone
// else changed on a live object is put back, as server-side apply of every object did before.
import { PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { deployEnvironment } from "../../../src/cluster/index.js";
import type { RenderedEnvironment, RenderedObject } from "../../../src/model.js";
import {
  configMap,
  deployment,
  environment,
  main,
  testCluster,
  testEnvironment,
  useClusterProxy,
} from "../../support/cluster-fixtures.js";

const cluster = testCluster();
const proxy = useClusterProxy();
const options = { wait: false, timeoutMs: 30_000 };

interface Stored {
  metadata: { resourceVersion: string; uid: string; generation?: number; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
}

async function read(apiVersion: string, kind: string, namespace: string, name: string): Promise<Stored> {
  return (await cluster.objects.read({ apiVersion, kind, metadata: { name, namespace } })) as unknown as Stored;
}

const sameEnvironment = (rendered: RenderedEnvironment, objects: RenderedObject[]) =>
  environment({ id: rendered.environment.id, objects });

/** The writes (not reads, not dry runs) the proxy saw since `from`, as "METHOD path". */
function writesSince(from: number): string[] {
  return proxy()
    .requests.slice(from)
    .filter((r) => r.method !== "GET" && !r.dryRun)
    .map((r) => `${r.method} ${r.path}`);
}

/** Someone else's change, as `kubectl edit` makes it: an update under another field manager. */
async function editAs(manager: string, object: KubernetesObject): Promise<void> {
  await cluster.objects.patch(object, undefined, undefined, manager, undefined, PatchStrategy.MergePatch);
}

describe("an unchanged re-deploy", () => {
  it("sends no object again, and every skipped object is as the render says", async () => {
    const rendered = testEnvironment(cluster, "same", [
      main(configMap("settings", { greeting: "hello" })),
      main(deployment("web", { replicas: 2 })),
    ]);
    await deployEnvironment(cluster, rendered, options);
    const ns = rendered.environment.namespace;
    const before = await read("apps/v1", "Deployment", ns, "web");
    const settingsBefore = await read("v1", "ConfigMap", ns, "settings");
    const from = proxy().requests.length;

    const again = await deployEnvironment(proxy().cluster(), rendered, options);

    expect(again.unchanged.map((r) => r.name).sort()).toEqual(["settings", "web"]);
    expect(again.applied.map((r) => r.name).sort()).toEqual(["settings", "web"]);
    // Only the namespace record was written: no object, no dry run, no prune.
    expect(writesSince(from).filter((w) => !w.startsWith("PATCH /api/v1/namespaces/"))).toEqual([]);
    expect(
      proxy()
        .requests.slice(from)
        .some((r) => r.dryRun),
    ).toBe(false);
    // The Deployment's status moves on (its rollout), its spec does not; nobody writes the ConfigMap.
    const after = await read("apps/v1", "Deployment", ns, "web");
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec?.replicas).toBe(2);
    const settings = await read("v1", "ConfigMap", ns, "settings");
    expect(settings.metadata.resourceVersion).toBe(settingsBefore.metadata.resourceVersion);
    expect(settings.data).toEqual({ greeting: "hello" });
  });

  it("puts back fields someone else changed since (kubectl edit, a scale)", async () => {
    const rendered = testEnvironment(cluster, "drift", [
      main(configMap("settings", { greeting: "hello" })),
      main(configMap("other")),
      main(deployment("web", { replicas: 1 })),
    ]);
    await deployEnvironment(cluster, rendered, options);
    const ns = rendered.environment.namespace;
    await editAs("kubectl-edit", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: ns },
      spec: { replicas: 3 },
    } as KubernetesObject);
    await editAs("kubectl-edit", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: ns },
      data: { greeting: "hacked" },
    } as KubernetesObject);
    expect((await read("apps/v1", "Deployment", ns, "web")).spec?.replicas).toBe(3);

    const again = await deployEnvironment(cluster, rendered, options);

    expect(again.unchanged.map((r) => r.name)).toEqual(["other"]);
    expect((await read("apps/v1", "Deployment", ns, "web")).spec?.replicas).toBe(1);
    expect((await read("v1", "ConfigMap", ns, "settings")).data).toEqual({ greeting: "hello" });
  });

  it("puts back a field someone else removed", async () => {
    const rendered = testEnvironment(cluster, "removed", [
      main(configMap("settings", { greeting: "hello", colour: "blue" })),
    ]);
    await deployEnvironment(cluster, rendered, options);
    const ns = rendered.environment.namespace;
    const removal = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: ns },
      data: { colour: null },
    };
    await editAs("kubectl-edit", removal as unknown as KubernetesObject);

    await deployEnvironment(cluster, rendered, options);

    expect((await read("v1", "ConfigMap", ns, "settings")).data).toEqual({ greeting: "hello", colour: "blue" });
  });
});

describe("a changed re-deploy", () => {
  it("applies exactly the objects that changed and prunes what is gone", async () => {
    const rendered = testEnvironment(cluster, "changed", [
      main(configMap("a")),
      main(configMap("b", { v: "1" })),
      main(configMap("c")),
      main(deployment("web")),
    ]);
    await deployEnvironment(cluster, rendered, options);
    const ns = rendered.environment.namespace;
    const from = proxy().requests.length;

    const next = sameEnvironment(rendered, [
      main(configMap("a")),
      main(configMap("b", { v: "2" })),
      main(deployment("web", { image: "registry.example.com/app:2.0" })),
    ]);
    const result = await deployEnvironment(proxy().cluster(), next, options);

    expect(result.unchanged.map((r) => r.name)).toEqual(["a"]);
    expect(result.pruned.map((r) => r.name)).toEqual(["c"]);
    const objectWrites = writesSince(from).filter(
      (w) => !w.startsWith("PATCH /api/v1/namespaces/") || w.includes("/configmaps/"),
    );
    expect(objectWrites.sort()).toEqual([
      `DELETE /api/v1/namespaces/${ns}/configmaps/c`,
      `PATCH /api/v1/namespaces/${ns}/configmaps/b`,
      `PATCH /apis/apps/v1/namespaces/${ns}/deployments/web`,
    ]);
    expect((await read("v1", "ConfigMap", ns, "b")).data).toEqual({ v: "2" });
    expect((await read("apps/v1", "Deployment", ns, "web")).spec?.template?.spec?.containers?.[0]?.image).toBe(
      "registry.example.com/app:2.0",
    );
  });

  it("removes from the live object a field the render no longer sets", async () => {
    const rendered = testEnvironment(cluster, "dropped", [
      main(configMap("settings", { greeting: "hello", colour: "blue" })),
    ]);
    await deployEnvironment(cluster, rendered, options);

    const result = await deployEnvironment(
      cluster,
      sameEnvironment(rendered, [main(configMap("settings", { greeting: "hello" }))]),
      options,
    );

    expect(result.unchanged).toEqual([]);
    expect((await read("v1", "ConfigMap", rendered.environment.namespace, "settings")).data).toEqual({
      greeting: "hello",
    });
  });

  it("re-creates every object on /reload even when nothing changed", async () => {
    const rendered = testEnvironment(cluster, "reload", [main(configMap("settings"))]);
    await deployEnvironment(cluster, rendered, options);
    const before = await read("v1", "ConfigMap", rendered.environment.namespace, "settings");

    const result = await deployEnvironment(cluster, rendered, { ...options, fresh: true });

    expect(result.unchanged).toEqual([]);
    expect((await read("v1", "ConfigMap", rendered.environment.namespace, "settings")).metadata.uid).not.toBe(
      before.metadata.uid,
    );
  });
});
