import { describe, expect, it, onTestFinished } from "vitest";
import { classifyApiError, deployEnvironment } from "../../../src/cluster/index.js";
import type { KubeObject, RenderedEnvironment } from "../../../src/model.js";
import { retryAfterOf, retryDelay } from "../../../src/queue/index.js";
import {
  cleanUp,
  clusterFailure,
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
  const id = uniqueName("errors");
  onTestFinished(() => cleanUp(cluster, id));
  return environment({ id, objects });
}

const options = { wait: false, timeoutMs: 30_000 };

describe("classifying what the API server answers", () => {
  it("fails an invalid object (422) permanently, naming it and quoting the API server", async () => {
    const bad: KubeObject = deployment("web");
    (bad.spec as { selector: unknown }).selector = { matchLabels: { app: "something-else" } };
    const rendered = newEnvironment([main(bad)]);

    const error = await clusterFailure(deployEnvironment(cluster, rendered, options));

    expect(error.kind).toBe("permanent");
    expect(error.message).toMatch(
      new RegExp(
        `^Deployment web in ${rendered.environment.namespace} \\(box app, templates/web.yaml\\): Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: .*\`selector\` does not match template \`labels\``,
      ),
    );
  });

  it("records the failure on the environment's namespace", async () => {
    const bad: KubeObject = deployment("web");
    (bad.spec as { selector: unknown }).selector = { matchLabels: { app: "something-else" } };
    const rendered = newEnvironment([main(bad)]);
    await clusterFailure(deployEnvironment(cluster, rendered, options));

    const ns = await cluster.core.readNamespace({ name: rendered.environment.namespace });
    expect(ns.metadata?.annotations?.["prbox.dev/status"]).toBe("failed");
    expect(ns.metadata?.annotations?.["prbox.dev/last-error"]).toContain("`selector` does not match template `labels`");
  });

  it("classifies a conflict (409) as transient, with the API server's message", async () => {
    const namespace = uniqueName("conflict");
    await cluster.core.createNamespace({ body: { metadata: { name: namespace } } });
    onTestFinished(() => cluster.core.deleteNamespace({ name: namespace }).then(() => undefined));

    const raw: unknown = await cluster.core
      .createNamespace({ body: { metadata: { name: namespace } } })
      .catch((e: unknown) => e);
    const error = classifyApiError(raw, `namespace ${namespace}`);

    expect(error.kind).toBe("transient");
    expect(error.message).toBe(`namespace ${namespace}: namespaces "${namespace}" already exists`);
  });

  it("classifies a 500 from the API server as transient", async () => {
    const rendered = newEnvironment([main(configMap("settings"))]);
    proxy().inject({ method: "PATCH", path: /\/configmaps\/settings$/, status: 500 });

    const error = await clusterFailure(deployEnvironment(proxy().cluster(), rendered, options));

    expect(error.kind).toBe("transient");
    expect(error.message).toBe(
      `ConfigMap settings in ${rendered.environment.namespace} (box app, templates/settings.yaml): injected by the test proxy (HTTP 500)`,
    );
  });

  it("classifies a 429 (throttled) as transient and a 403 (forbidden) as permanent", async () => {
    const rendered = newEnvironment([main(configMap("settings"))]);
    proxy().inject({ method: "PATCH", path: /\/configmaps\/settings$/, status: 429 });
    expect((await clusterFailure(deployEnvironment(proxy().cluster(), rendered, options))).kind).toBe("transient");

    proxy().inject({ method: "PATCH", path: /\/configmaps\/settings$/, status: 403 });
    const forbidden = await clusterFailure(deployEnvironment(proxy().cluster(), rendered, options));
    expect(forbidden.kind).toBe("permanent");
    expect(forbidden.hint).toContain("RBAC");
  });

  it("hands the API server's Retry-After on a 429 or 503 to the queue, and none on a 500", async () => {
    const rendered = newEnvironment([main(configMap("settings"))]);
    proxy().inject({ method: "PATCH", path: /\/configmaps\/settings$/, status: 429, headers: { "Retry-After": "7" } });
    const throttled = await clusterFailure(deployEnvironment(proxy().cluster(), rendered, options));
    expect(throttled.kind).toBe("transient");
    expect(retryAfterOf(throttled)).toBe(7000);
    // The queue's next delay is at least that, whatever the exponential backoff says.
    expect(retryDelay(1, undefined, throttled, undefined)).toBeGreaterThanOrEqual(7000);

    proxy().inject({ method: "PATCH", path: /\/configmaps\/settings$/, status: 503, headers: { "Retry-After": "2" } });
    expect(retryAfterOf(await clusterFailure(deployEnvironment(proxy().cluster(), rendered, options)))).toBe(2000);

    proxy().inject({ method: "PATCH", path: /\/configmaps\/settings$/, status: 500, headers: { "Retry-After": "9" } });
    expect(retryAfterOf(await clusterFailure(deployEnvironment(proxy().cluster(), rendered, options)))).toBeUndefined();
  });

  it("classifies a dropped connection as transient", async () => {
    const rendered = newEnvironment([main(configMap("settings"))]);
    proxy().inject({ method: "PATCH", path: /\/configmaps\/settings$/, drop: true });

    const error = await clusterFailure(deployEnvironment(proxy().cluster(), rendered, options));

    expect(error.kind).toBe("transient");
    expect(error.message).toMatch(/^ConfigMap settings in .*: cannot reach the Kubernetes API: /);
  });

  it("keeps the original error as the cause", async () => {
    const rendered = newEnvironment([main(configMap("settings"))]);
    proxy().inject({ method: "PATCH", path: /\/configmaps\/settings$/, status: 503 });
    const error = await clusterFailure(deployEnvironment(proxy().cluster(), rendered, options));
    expect(error.cause).toMatchObject({ code: 503 });
  });
});
