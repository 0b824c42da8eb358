// A refusal changes nothing (issue 12 item 8): every object is dry-run before any is applied, and a
// refused or vanished kind never makes later deploys of the environment fail.
import { describe, expect, it } from "vitest";
import { deployEnvironment } from "../../../src/cluster/index.js";
import { patchNamespaceMetadata } from "../../../src/cluster/namespaces.js";
import type { KubeObject, RenderedEnvironment, RenderedObject } from "../../../src/model.js";
import {
  clusterFailure,
  configMap,
  deployment,
  environment,
  main,
  testCluster,
  testEnvironment,
} from "../../support/cluster-fixtures.js";

const cluster = testCluster();
const options = { wait: false, timeoutMs: 30_000 };

/** A key the API server refuses (422): only letters, digits, '-', '_' and '.' are allowed. */
const invalid = () => configMap("broken", { "not a valid key!": "x" });

function pod(name: string, serviceAccountName: string, image = "registry.example.com/app:1.0"): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { serviceAccountName, containers: [{ name: "main", image }] },
  };
}

const serviceAccount = (name: string): KubeObject => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name } });

async function exists(apiVersion: string, kind: string, namespace: string, name: string): Promise<boolean> {
  return cluster.objects.read({ apiVersion, kind, metadata: { name, namespace } }).then(
    () => true,
    (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)),
  );
}

const sameEnvironment = (rendered: RenderedEnvironment, objects: RenderedObject[]) =>
  environment({ id: rendered.environment.id, objects });

describe("an object the API server refuses", () => {
  it("fails the first deploy before anything of the render is stored, naming every refused object", async () => {
    const rendered = testEnvironment(cluster, "refused", [
      main(configMap("settings")),
      main(invalid()),
      main(deployment("web")),
    ]);
    const ns = rendered.environment.namespace;

    const error = await clusterFailure(deployEnvironment(cluster, rendered, options));

    expect(error.kind).toBe("permanent");
    expect(error.message).toMatch(
      new RegExp(`^ConfigMap broken in ${ns} \\(box app, templates/broken.yaml\\): ConfigMap "broken" is invalid: .*`),
    );
    expect(error.message).toContain(
      `(the API server refused 1 object of environment ${rendered.environment.id} in a dry run, so nothing was applied)`,
    );
    expect(await exists("v1", "ConfigMap", ns, "settings")).toBe(false);
    expect(await exists("apps/v1", "Deployment", ns, "web")).toBe(false);
    const record = await cluster.core.readNamespace({ name: ns });
    expect(record.metadata?.annotations?.["prbox.dev/status"]).toBe("failed");
    expect(record.metadata?.annotations?.["prbox.dev/kinds"]).toBe("");
  });

  it("leaves a running environment as it was: the changed objects keep their old content", async () => {
    const rendered = testEnvironment(cluster, "kept", [main(configMap("settings", { v: "1" }))]);
    await deployEnvironment(cluster, rendered, options);
    const ns = rendered.environment.namespace;

    const next = sameEnvironment(rendered, [
      main(configMap("settings", { v: "2" })),
      main(invalid()),
      main(deployment("web")),
    ]);
    await clusterFailure(deployEnvironment(cluster, next, options));

    const settings = (await cluster.core.readNamespacedConfigMap({ name: "settings", namespace: ns })).data;
    expect(settings).toEqual({ v: "1" });
    expect(await exists("apps/v1", "Deployment", ns, "web")).toBe(false);
    const record = await cluster.core.readNamespace({ name: ns });
    expect(record.metadata?.annotations?.["prbox.dev/kinds"]).toBe("v1/ConfigMap");
  });

  it("creates the ServiceAccount a Pod of the same render runs as before checking the Pod", async () => {
    const rendered = testEnvironment(cluster, "account", [main(pod("worker", "robot")), main(serviceAccount("robot"))]);

    await deployEnvironment(cluster, rendered, options);

    expect(await exists("v1", "Pod", rendered.environment.namespace, "worker")).toBe(true);
  });

  it("removes again a ServiceAccount it created only to check a Pod that is then refused", async () => {
    const rendered = testEnvironment(cluster, "account", [
      main(pod("worker", "robot", "")),
      main(serviceAccount("robot")),
      main(configMap("settings")),
    ]);
    const ns = rendered.environment.namespace;

    const error = await clusterFailure(deployEnvironment(cluster, rendered, options));

    expect(error.message).toContain(`Pod worker in ${ns} (box app, templates/worker.yaml): Pod "worker" is invalid`);
    expect(await exists("v1", "ServiceAccount", ns, "robot")).toBe(false);
    expect(await exists("v1", "ConfigMap", ns, "settings")).toBe(false);
  });
});

describe("the recorded kinds", () => {
  it("do not fail a deploy when one of them is no longer served by the cluster", async () => {
    const rendered = testEnvironment(cluster, "gone", [main(configMap("settings"))]);
    await deployEnvironment(cluster, rendered, options);
    const ns = rendered.environment.namespace;
    await patchNamespaceMetadata(cluster, ns, {
      annotations: { "prbox.dev/kinds": "example.com/v1/Widget,v1/ConfigMap" },
    });

    await deployEnvironment(
      cluster,
      sameEnvironment(rendered, [main(configMap("settings")), main(configMap("more"))]),
      options,
    );

    const record = await cluster.core.readNamespace({ name: ns });
    expect(record.metadata?.annotations?.["prbox.dev/kinds"]).toBe("v1/ConfigMap");
    expect(record.metadata?.annotations?.["prbox.dev/status"]).toBe("ready");
  });
});
