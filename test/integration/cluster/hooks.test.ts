import { describe, expect, it, onTestFinished } from "vitest";
import { deployEnvironment } from "../../../src/cluster/index.js";
import { NotReadyError } from "../../../src/errors.js";
import type { RenderedEnvironment, RenderedObject } from "../../../src/model.js";
import {
  cleanUp,
  configMap,
  deployment,
  environment,
  hook,
  job,
  main,
  testCluster,
  uniqueName,
  useClusterProxy,
} from "../../support/cluster-fixtures.js";

const cluster = testCluster();
const proxy = useClusterProxy();

function newEnvironment(objects: RenderedObject[]): RenderedEnvironment {
  const id = uniqueName("hooks");
  onTestFinished(() => cleanUp(cluster, id));
  return environment({ id, objects });
}

interface Timestamps {
  metadata?: { uid?: string; creationTimestamp?: Date };
  status?: { completionTime?: Date };
}

async function read(apiVersion: string, kind: string, namespace: string, name: string): Promise<Timestamps | null> {
  return (cluster.objects.read({ apiVersion, kind, metadata: { name, namespace } }) as Promise<Timestamps>).catch(
    (e: { code?: number }) => (e.code === 404 ? null : Promise.reject(e)),
  );
}

const options = { wait: true, timeoutMs: 30_000 };

/** Every request the proxy saw, in order, dry runs left out. */
const stored = () =>
  proxy()
    .requests.filter((r) => !r.dryRun)
    .map((r) => `${r.method} ${r.path}`);

describe("Helm hooks", () => {
  it("applies the main objects only after the pre-install Job has completed", async () => {
    const rendered = newEnvironment([hook(job("migrate"), "pre"), main(deployment("web"))]);
    await deployEnvironment(proxy().cluster(), rendered, options);

    const ns = rendered.environment.namespace;
    const migrate = await read("batch/v1", "Job", ns, "migrate");
    expect(migrate?.status?.completionTime).toBeDefined();
    // The proxy saw every request in order: polling the Job ended before the Deployment was first
    // stored (the dry run of every object before anything is applied stores nothing).
    const seen = stored();
    const lastJobRead = seen.lastIndexOf(`GET /apis/batch/v1/namespaces/${ns}/jobs/migrate`);
    const firstDeploymentApply = seen.indexOf(`PATCH /apis/apps/v1/namespaces/${ns}/deployments/web`);
    expect(lastJobRead).toBeGreaterThan(-1);
    expect(firstDeploymentApply).toBeGreaterThan(lastJobRead);
  });

  it("does not apply the main objects when a pre-install hook fails, and names the hook", async () => {
    const rendered = newEnvironment([
      hook(job("migrate", { failWith: "ImagePullBackOff" }), "pre"),
      main(deployment("web")),
    ]);

    const error: unknown = await deployEnvironment(cluster, rendered, { ...options, timeoutMs: 3000 }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(NotReadyError);
    expect((error as NotReadyError).message).toBe(
      `Job migrate in ${rendered.environment.namespace} is not ready after 3s`,
    );
    expect(await read("apps/v1", "Deployment", rendered.environment.namespace, "web")).toBeNull();
  });

  it("runs post-install hooks after the main objects are ready", async () => {
    const rendered = newEnvironment([main(deployment("web")), hook(job("smoke"), "post")]);
    await deployEnvironment(proxy().cluster(), rendered, options);

    const ns = rendered.environment.namespace;
    expect((await read("batch/v1", "Job", ns, "smoke"))?.status?.completionTime).toBeDefined();
    const seen = stored();
    const lastDeploymentRead = seen.lastIndexOf(`GET /apis/apps/v1/namespaces/${ns}/deployments/web`);
    expect(lastDeploymentRead).toBeGreaterThan(-1);
    expect(seen.indexOf(`PATCH /apis/batch/v1/namespaces/${ns}/jobs/smoke`)).toBeGreaterThan(lastDeploymentRead);
  });

  it("applies hooks weight by weight, lowest first, and stops at a failing weight", async () => {
    const first = job("prepare", { failWith: "ImagePullBackOff" });
    first.metadata.annotations = { "helm.sh/hook-weight": "-5" };
    const second = configMap("after-prepare");
    second.metadata.annotations = { "helm.sh/hook-weight": "10" };
    const rendered = newEnvironment([hook(second, "pre"), hook(first, "pre"), main(configMap("app"))]);

    await expect(deployEnvironment(cluster, rendered, { ...options, timeoutMs: 2000 })).rejects.toThrow(
      /Job prepare in .* is not ready/,
    );

    const ns = rendered.environment.namespace;
    expect(await read("batch/v1", "Job", ns, "prepare")).not.toBeNull();
    expect(await read("v1", "ConfigMap", ns, "after-prepare")).toBeNull();
  });

  it("re-creates a hook Job on every deploy when it has no delete policy (Helm's before-hook-creation)", async () => {
    const rendered = newEnvironment([hook(job("migrate"), "pre"), main(configMap("app"))]);
    await deployEnvironment(cluster, rendered, options);
    const ns = rendered.environment.namespace;
    const first = await read("batch/v1", "Job", ns, "migrate");

    await deployEnvironment(cluster, rendered, options);

    const second = await read("batch/v1", "Job", ns, "migrate");
    expect(second?.metadata?.uid).toBeDefined();
    expect(second?.metadata?.uid).not.toBe(first?.metadata?.uid);
  });

  it("deletes a hook-succeeded Job once it has completed, and prune does not mind it is gone", async () => {
    const rendered = newEnvironment([hook(job("migrate"), "pre", ["hook-succeeded"]), main(configMap("app"))]);
    await deployEnvironment(cluster, rendered, options);
    const ns = rendered.environment.namespace;
    expect(await read("batch/v1", "Job", ns, "migrate")).toBeNull();

    const again = await deployEnvironment(cluster, rendered, options);
    expect(again.pruned).toEqual([]);
  });

  it("deletes a hook-failed Job when it fails, after diagnosing it", async () => {
    const failing = job("migrate", { failWith: "ImagePullBackOff" });
    const rendered = newEnvironment([hook(failing, "pre", ["hook-failed"]), main(configMap("app"))]);

    const error: unknown = await deployEnvironment(cluster, rendered, { ...options, timeoutMs: 3000 }).catch(
      (e: unknown) => e,
    );

    expect((error as NotReadyError).diagnostics.join("\n")).toContain("ImagePullBackOff");
    expect(await read("batch/v1", "Job", rendered.environment.namespace, "migrate")).toBeNull();
  });
});
