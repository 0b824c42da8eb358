import { describe, expect, it, onTestFinished } from "vitest";
import { deployEnvironment } from "../../../src/cluster/index.js";
import type { RenderedEnvironment } from "../../../src/model.js";
import {
  cleanUp,
  configMap,
  deployment,
  environment,
  main,
  testCluster,
  uniqueName,
  useClusterProxy,
} from "../../support/cluster-fixtures.js";

const cluster = testCluster();
const proxy = useClusterProxy();

function newEnvironment(objects: Parameters<typeof environment>[0]["objects"]): RenderedEnvironment {
  const id = uniqueName("prune");
  onTestFinished(() => cleanUp(cluster, id));
  return environment({ id, objects });
}

function withObjects(
  rendered: RenderedEnvironment,
  objects: Parameters<typeof environment>[0]["objects"],
): RenderedEnvironment {
  return environment({ id: rendered.environment.id, objects });
}

const options = { wait: false, timeoutMs: 30_000 };

async function exists(apiVersion: string, kind: string, namespace: string, name: string): Promise<boolean> {
  return cluster.objects.read({ apiVersion, kind, metadata: { name, namespace } }).then(
    () => true,
    (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)),
  );
}

describe("pruning", () => {
  it("deletes an object the new render no longer contains and keeps the others", async () => {
    const first = newEnvironment([main(configMap("settings")), main(configMap("legacy")), main(deployment("web"))]);
    await deployEnvironment(cluster, first, options);
    const ns = first.environment.namespace;

    const result = await deployEnvironment(
      cluster,
      withObjects(first, [main(configMap("settings")), main(deployment("web"))]),
      options,
    );

    expect(result.pruned).toEqual([{ apiVersion: "v1", kind: "ConfigMap", namespace: ns, name: "legacy" }]);
    expect(await exists("v1", "ConfigMap", ns, "legacy")).toBe(false);
    expect(await exists("v1", "ConfigMap", ns, "settings")).toBe(true);
    expect(await exists("apps/v1", "Deployment", ns, "web")).toBe(true);
  });

  it("deletes every object of a kind the render dropped entirely", async () => {
    const first = newEnvironment([main(configMap("settings")), main(deployment("web"))]);
    await deployEnvironment(cluster, first, options);

    const result = await deployEnvironment(cluster, withObjects(first, [main(configMap("settings"))]), options);

    expect(result.pruned.map((r) => `${r.kind}/${r.name}`)).toEqual(["Deployment/web"]);
    const record = await cluster.core.readNamespace({ name: first.environment.namespace });
    expect(record.metadata?.annotations?.["prbox.dev/kinds"]).toBe("v1/ConfigMap");
  });

  it("leaves alone objects in the namespace that prbox did not apply, and the pods of its Deployments", async () => {
    const first = newEnvironment([main(deployment("web"))]);
    await deployEnvironment(cluster, first, { ...options, wait: true });
    const ns = first.environment.namespace;
    await cluster.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "hand-made" }, data: { a: "b" } },
    });

    const result = await deployEnvironment(cluster, first, options);

    expect(result.pruned).toEqual([]);
    expect(await exists("v1", "ConfigMap", ns, "hand-made")).toBe(true);
  });

  it("prunes, on the next deploy, what a deploy interrupted before its prune left behind", async () => {
    const first = newEnvironment([main(configMap("settings")), main(deployment("web"))]);
    await deployEnvironment(cluster, first, options);
    const ns = first.environment.namespace;

    // The second deploy drops the Deployment, but dies (a 500) when prune lists Deployments.
    proxy().inject({ method: "GET", path: new RegExp(`^/apis/apps/v1/namespaces/${ns}/deployments$`), status: 500 });
    const interrupted = deployEnvironment(
      proxy().cluster(),
      withObjects(first, [main(configMap("settings"))]),
      options,
    );
    await expect(interrupted).rejects.toMatchObject({ kind: "transient" });
    expect(await exists("apps/v1", "Deployment", ns, "web")).toBe(true);

    // The third deploy has the same render: nothing new to apply, but the leftover still goes.
    const result = await deployEnvironment(cluster, withObjects(first, [main(configMap("settings"))]), options);
    expect(result.pruned.map((r) => `${r.kind}/${r.name}`)).toEqual(["Deployment/web"]);
  });

  it("never touches another environment's objects of the same kind", async () => {
    const mine = newEnvironment([main(configMap("settings")), main(configMap("legacy"))]);
    const theirs = newEnvironment([main(configMap("legacy"))]);
    await deployEnvironment(cluster, mine, options);
    await deployEnvironment(cluster, theirs, options);

    await deployEnvironment(cluster, withObjects(mine, [main(configMap("settings"))]), options);

    expect(await exists("v1", "ConfigMap", theirs.environment.namespace, "legacy")).toBe(true);
  });
});
