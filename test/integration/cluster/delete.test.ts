import { PatchStrategy } from "@kubernetes/client-node";
import { describe, expect, it, onTestFinished } from "vitest";
import { deleteEnvironment, deployEnvironment, listEnvironments } from "../../../src/cluster/index.js";
import {
  cleanUp,
  configMap,
  deployment,
  environment,
  main,
  testCluster,
  uniqueName,
} from "../../support/cluster-fixtures.js";

const cluster = testCluster();
const deployOptions = { wait: true, timeoutMs: 30_000 };

function newId(): string {
  const id = uniqueName("del");
  onTestFinished(() => cleanUp(cluster, id));
  return id;
}

async function namespaceExists(name: string): Promise<boolean> {
  return cluster.core.readNamespace({ name }).then(
    () => true,
    (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)),
  );
}

describe("deleting an environment", () => {
  it("deletes its namespace and returns only once the namespace is gone", async () => {
    const id = newId();
    await deployEnvironment(
      cluster,
      environment({ id, objects: [main(configMap("settings")), main(deployment("web"))] }),
      deployOptions,
    );

    const result = await deleteEnvironment(cluster, id, { timeoutMs: 60_000 });

    expect(result).toEqual({ namespaces: [id], released: [], objects: [] });
    expect(await namespaceExists(id)).toBe(false);
    expect((await listEnvironments(cluster)).some((r) => r.id === id)).toBe(false);
  });

  it("deletes its extra namespaces too (CLI mode)", async () => {
    const id = newId();
    const db = configMap("db");
    db.metadata.namespace = `${id}-db`;
    await deployEnvironment(
      cluster,
      environment({ id, mode: "cli", objects: [main(configMap("app")), main(db)] }),
      deployOptions,
    );

    const result = await deleteEnvironment(cluster, id, { timeoutMs: 60_000 });

    expect(result.namespaces.sort()).toEqual([id, `${id}-db`]);
    expect(await namespaceExists(`${id}-db`)).toBe(false);
  });

  it("deletes its cluster-scoped objects too (CLI mode), which no namespace deletion would remove", async () => {
    const id = newId();
    const role = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `${id}-reader` },
      rules: [],
    };
    await deployEnvironment(
      cluster,
      environment({ id, mode: "cli", objects: [main(configMap("app")), main(role)] }),
      deployOptions,
    );

    const result = await deleteEnvironment(cluster, id, { timeoutMs: 60_000 });

    expect(result.objects).toEqual([
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", name: `${id}-reader` },
    ]);
    await expect(cluster.objects.read({ ...role, metadata: { name: role.metadata.name } })).rejects.toMatchObject({
      code: 404,
    });
  });

  it("deletes nothing, and does not fail, for an environment that does not exist", async () => {
    const result = await deleteEnvironment(cluster, uniqueName("nobody"), { timeoutMs: 5000 });
    expect(result).toEqual({ namespaces: [], released: [], objects: [] });
  });

  it("leaves an adopted namespace standing, removing only prbox's objects and labels", async () => {
    const id = newId();
    await cluster.core.createNamespace({ body: { metadata: { name: id, labels: { team: "shop" } } } });
    await cluster.core.createNamespacedConfigMap({
      namespace: id,
      body: { metadata: { name: "theirs" }, data: { a: "b" } },
    });
    await deployEnvironment(
      cluster,
      environment({ id, mode: "cli", objects: [main(configMap("ours")), main(deployment("web"))] }),
      deployOptions,
    );

    const result = await deleteEnvironment(cluster, id, { timeoutMs: 60_000 });

    expect(result.namespaces).toEqual([]);
    expect(result.released).toEqual([id]);
    expect(result.objects.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(["ConfigMap/ours", "Deployment/web"]);
    const ns = await cluster.core.readNamespace({ name: id });
    expect(ns.status?.phase).toBe("Active");
    expect(ns.metadata?.labels).toEqual({ team: "shop", "kubernetes.io/metadata.name": id });
    expect(Object.keys(ns.metadata?.annotations ?? {}).filter((k) => k.startsWith("prbox.dev/"))).toEqual([]);
    await expect(cluster.core.readNamespacedConfigMap({ name: "theirs", namespace: id })).resolves.toBeDefined();
    await expect(cluster.core.readNamespacedConfigMap({ name: "ours", namespace: id })).rejects.toMatchObject({
      code: 404,
    });
    await cluster.core.deleteNamespace({ name: id });
  });

  it("reports a namespace stuck Terminating as a transient error that says so", async () => {
    const id = newId();
    await deployEnvironment(cluster, environment({ id, objects: [main(configMap("settings"))] }), deployOptions);
    const held = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: id, finalizers: ["prbox.dev/test-hold"] },
    };
    await cluster.objects.patch(held, undefined, undefined, "test", undefined, PatchStrategy.MergePatch);
    onTestFinished(async () => {
      const release = { ...held, metadata: { ...held.metadata, finalizers: null } };
      await cluster.objects.patch(release as never, undefined, undefined, "test", undefined, PatchStrategy.MergePatch);
    });

    await expect(deleteEnvironment(cluster, id, { timeoutMs: 2000 })).rejects.toMatchObject({
      kind: "transient",
      message: `namespace ${id} is still Terminating after 2s`,
    });
  });
});
