import { PatchStrategy } from "@kubernetes/client-node";
import { describe, expect, it, onTestFinished } from "vitest";
import { deployEnvironment } from "../../../src/cluster/index.js";
import { ClusterError } from "../../../src/errors.js";
import type { Cluster } from "../../../src/cluster/index.js";
import { cleanUp, configMap, environment, main, testCluster, uniqueName } from "../../support/cluster-fixtures.js";

const cluster = testCluster();
const options = { wait: false, timeoutMs: 30_000 };

function newId(): string {
  const id = uniqueName("ns");
  onTestFinished(() => cleanUp(cluster, id));
  return id;
}

/** A finalizer nobody removes keeps the namespace Terminating until the test lets go. */
async function holdNamespace(c: Cluster, namespace: string): Promise<() => Promise<void>> {
  const body = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "held", namespace, finalizers: ["prbox.dev/test-hold"] },
  };
  await c.core.createNamespacedConfigMap({ namespace, body });
  return async () => {
    const release = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "held", namespace, finalizers: null } };
    await c.objects.patch(release as never, undefined, undefined, "test", undefined, PatchStrategy.MergePatch);
  };
}

describe("the environment's namespace", () => {
  it("is created with the environment's labels and its record", async () => {
    const id = newId();
    await deployEnvironment(cluster, environment({ id, objects: [main(configMap("settings"))] }), {
      ...options,
      now: () => new Date("2026-11-22T10:00:00Z"),
    });

    const ns = await cluster.core.readNamespace({ name: id });
    expect(ns.metadata?.labels).toMatchObject({
      "app.kubernetes.io/managed-by": "prbox",
      "prbox.dev/environment": id,
      "prbox.dev/forge": "github",
      "prbox.dev/pr": "42",
    });
    expect(ns.metadata?.annotations).toMatchObject({
      "prbox.dev/id": id,
      "prbox.dev/role": "primary",
      "prbox.dev/repo": "acme/shop",
      "prbox.dev/branch": "feature/cart",
      "prbox.dev/sha": "0123456789abcdef",
      "prbox.dev/url": `https://${id}.preview.example.com`,
      "prbox.dev/boxes": "app",
      "prbox.dev/deployed-at": "2026-11-22T10:00:00.000Z",
      "prbox.dev/status": "ready",
      "prbox.dev/kinds": "v1/ConfigMap",
    });
    expect(ns.metadata?.annotations?.["prbox.dev/last-error"]).toBeUndefined();
    expect(ns.metadata?.labels?.["prbox.dev/adopted"]).toBeUndefined();
  });

  it("is refused, permanently, when it belongs to another environment, whose record stays untouched", async () => {
    const owner = newId();
    await deployEnvironment(cluster, environment({ id: owner, objects: [main(configMap("settings"))] }), options);
    const intruder = newId();

    const error: unknown = await deployEnvironment(
      cluster,
      environment({ id: intruder, namespace: owner, objects: [main(configMap("other"))] }),
      options,
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ClusterError);
    expect(error).toMatchObject({
      kind: "permanent",
      message: `namespace ${owner} belongs to prbox environment ${owner}, not ${intruder}`,
    });
    const ns = await cluster.core.readNamespace({ name: owner });
    expect(ns.metadata?.annotations?.["prbox.dev/status"]).toBe("ready");
    await expect(cluster.core.readNamespacedConfigMap({ name: "other", namespace: owner })).rejects.toMatchObject({
      code: 404,
    });
  });

  // Adoption is for CLI mode: a pull request's namespace is never an existing one (test/cluster/baseline.test.ts).
  it("is adopted in CLI mode when it exists without prbox's labels, and marked so", async () => {
    const id = newId();
    await cluster.core.createNamespace({ body: { metadata: { name: id, labels: { team: "shop" } } } });

    await deployEnvironment(cluster, environment({ id, mode: "cli", objects: [main(configMap("settings"))] }), options);

    const ns = await cluster.core.readNamespace({ name: id });
    expect(ns.metadata?.labels).toMatchObject({
      team: "shop",
      "prbox.dev/environment": id,
      "prbox.dev/adopted": "true",
    });
  });

  it("stays adopted on the next deploy", async () => {
    const id = newId();
    await cluster.core.createNamespace({ body: { metadata: { name: id } } });
    const rendered = environment({ id, mode: "cli", objects: [main(configMap("settings"))] });
    await deployEnvironment(cluster, rendered, options);

    await deployEnvironment(cluster, rendered, options);

    expect((await cluster.core.readNamespace({ name: id })).metadata?.labels?.["prbox.dev/adopted"]).toBe("true");
  });

  it("is waited for when still Terminating from an earlier delete, then created anew", async () => {
    const id = newId();
    const rendered = environment({ id, objects: [main(configMap("settings"))] });
    await deployEnvironment(cluster, rendered, options);
    const before = await cluster.core.readNamespace({ name: id });
    const release = await holdNamespace(cluster, id);
    await cluster.core.deleteNamespace({ name: id });

    const redeploy = deployEnvironment(cluster, rendered, options);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await cluster.core.readNamespace({ name: id })).status?.phase).toBe("Terminating");
    await release();
    await redeploy;

    const after = await cluster.core.readNamespace({ name: id });
    expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
    expect(after.status?.phase).toBe("Active");
    await expect(cluster.core.readNamespacedConfigMap({ name: "settings", namespace: id })).resolves.toBeDefined();
  });

  it("gives up on a namespace that stays Terminating, with a transient error", async () => {
    const id = newId();
    const rendered = environment({ id, objects: [main(configMap("settings"))] });
    await deployEnvironment(cluster, rendered, options);
    const release = await holdNamespace(cluster, id);
    onTestFinished(release);
    await cluster.core.deleteNamespace({ name: id });

    await expect(deployEnvironment(cluster, rendered, { ...options, timeoutMs: 1500 })).rejects.toMatchObject({
      kind: "transient",
      message: `namespace ${id} is still Terminating after 1.5s`,
    });
  });
});
