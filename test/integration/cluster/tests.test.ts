import { describe, expect, it } from "vitest";
import { deployEnvironment } from "../../../src/cluster/index.js";
import type { RenderedObject } from "../../../src/model.js";
import {
  deployment,
  hook,
  job,
  main,
  testCluster,
  testEnvironment,
  testPod,
  useClusterProxy,
} from "../../support/cluster-fixtures.js";

// Helm test hooks on the real control plane: kwok's pod-exit stage (scripts/cluster/pod-exit.yaml)
// ends a bare pod with the exit code of its prbox.dev/test-exit-code label.

const cluster = testCluster();
const proxy = useClusterProxy();

const newEnvironment = (objects: RenderedObject[]) => testEnvironment(cluster, "tests", objects);

async function uidOf(namespace: string, name: string): Promise<string | null> {
  const pod = await cluster.core.readNamespacedPod({ name, namespace }).catch((e: { code?: number }) => {
    if (e.code === 404) return null;
    throw e;
  });
  return pod?.metadata?.uid ?? null;
}

const options = { wait: true, timeoutMs: 30_000 };

describe("the chart's tests (helm.sh/hook: test)", () => {
  it("runs them once the environment is ready and reports each, a failing one with its exit code, without failing the deploy", async () => {
    const rendered = newEnvironment([
      main(deployment("web")),
      hook(testPod("web-test-connection"), "test"),
      hook(testPod("web-test-login", { exitCode: 3 }), "test"),
    ]);
    const ns = rendered.environment.namespace;

    const result = await deployEnvironment(proxy().cluster(), rendered, options);

    expect(result.tests.map((t) => [t.ref.name, t.box, t.passed, t.detail])).toEqual([
      ["web-test-connection", "app", true, "succeeded"],
      ["web-test-login", "app", false, "container main exited with code 3 (Error)"],
    ]);
    // The passing test's logs are not read; the failing one's are, and kwok serves none: the reason is kept.
    expect(result.tests[0]?.logs).toEqual([]);
    expect(result.tests[1]?.logs).toEqual([
      { container: "main", text: expect.stringMatching(/^\(logs unavailable: /) },
    ]);
    // The tests were created only after the Deployment was seen ready.
    const seen = proxy()
      .requests.filter((r) => !r.dryRun)
      .map((r) => `${r.method} ${r.path}`);
    const lastDeploymentRead = seen.lastIndexOf(`GET /apis/apps/v1/namespaces/${ns}/deployments/web`);
    const firstTestApply = seen.indexOf(`PATCH /api/v1/namespaces/${ns}/pods/web-test-connection`);
    expect(lastDeploymentRead).toBeGreaterThan(-1);
    expect(firstTestApply).toBeGreaterThan(lastDeploymentRead);
  });

  it("runs them again on every deploy: the finished pod is replaced by a new one", async () => {
    const rendered = newEnvironment([main(deployment("web")), hook(testPod("web-test"), "test")]);
    const ns = rendered.environment.namespace;
    await deployEnvironment(cluster, rendered, options);
    const first = await uidOf(ns, "web-test");

    const again = await deployEnvironment(cluster, rendered, options);

    expect(again.tests.map((t) => t.passed)).toEqual([true]);
    const second = await uidOf(ns, "web-test");
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(second).not.toBe(first);
  });

  it("honours hook-succeeded and hook-failed once the results are read", async () => {
    const rendered = newEnvironment([
      main(deployment("web")),
      hook(testPod("passes"), "test", ["hook-succeeded"]),
      hook(testPod("fails", { exitCode: 1 }), "test", ["hook-succeeded"]),
      hook(testPod("fails-and-goes", { exitCode: 1 }), "test", ["hook-failed"]),
    ]);
    const ns = rendered.environment.namespace;

    const result = await deployEnvironment(cluster, rendered, options);

    expect(result.tests.map((t) => t.passed)).toEqual([true, false, false]);
    expect(await uidOf(ns, "passes")).toBeNull();
    expect(await uidOf(ns, "fails")).not.toBeNull();
    expect(await uidOf(ns, "fails-and-goes")).toBeNull();
  });

  it("runs none without the readiness wait (prbox run --no-wait): there is no ready environment to test", async () => {
    const rendered = newEnvironment([main(deployment("web")), hook(testPod("web-test"), "test")]);
    const result = await deployEnvironment(cluster, rendered, { ...options, wait: false });
    expect(result.tests).toEqual([]);
    expect(await uidOf(rendered.environment.namespace, "web-test")).toBeNull();
  });

  it("reports a Job test by its conditions, and a test that never starts with its pod's problem", async () => {
    const rendered = newEnvironment([
      main(deployment("web")),
      hook(job("smoke"), "test"),
      hook(testPod("stuck", { failWith: "ImagePullBackOff" }), "test"),
    ]);

    const result = await deployEnvironment(cluster, rendered, { ...options, timeoutMs: 4000 });

    expect(result.tests.map((t) => [t.ref.kind, t.ref.name, t.passed])).toEqual([
      ["Job", "smoke", true],
      ["Pod", "stuck", false],
    ]);
    expect(result.tests[1]?.detail).toMatch(/^did not finish within 4s: .*ImagePullBackOff/);
  });
});
