// The operator's Secrets in every pull request's namespace, on the real test control plane.
import { describe, expect, it, onTestFinished } from "vitest";
import { defaultBaseline, type Baseline } from "../../../src/config/baseline.js";
import { ConfigError } from "../../../src/config/config.js";
import { checkBaselineSettings, deployEnvironment } from "../../../src/cluster/index.js";
import { createLogger } from "../../../src/log.js";
import { describeError, RenderError } from "../../../src/errors.js";
import { cleanUp, deployment, environment, main, testCluster, uniqueName } from "../../support/cluster-fixtures.js";
import { LogCapture } from "../../support/log-capture.js";

const cluster = testCluster();
const REGISTRY_VALUE = `{"auths":{"registry.example.com":{"auth":"${Buffer.from("bot:s3cr3t-registry-token").toString("base64")}"}}}`;
const DB_VALUE = "postgres://app:s3cr3t-db-password@db.staging:5432/app";

/** A namespace of operator Secrets: registry credentials by name, a database URL by label. */
async function sourceNamespace(): Promise<string> {
  const from = uniqueName("secrets");
  await cluster.core.createNamespace({ body: { metadata: { name: from } } });
  onTestFinished(() =>
    cluster.core.deleteNamespace({ name: from }).then(
      () => undefined,
      () => undefined,
    ),
  );
  await cluster.core.createNamespacedSecret({
    namespace: from,
    body: {
      metadata: { name: "registry" },
      type: "kubernetes.io/dockerconfigjson",
      stringData: { ".dockerconfigjson": REGISTRY_VALUE },
    },
  });
  await cluster.core.createNamespacedSecret({
    namespace: from,
    body: { metadata: { name: "db", labels: { "prbox.dev/copy": "true" } }, stringData: { url: DB_VALUE } },
  });
  await cluster.core.createNamespacedSecret({
    namespace: from,
    body: { metadata: { name: "unrelated" }, stringData: { x: "y" } },
  });
  return from;
}

function copying(from: string): Baseline {
  return {
    ...defaultBaseline(),
    secrets: { from, names: ["registry"], selector: "prbox.dev/copy=true", imagePullSecrets: ["registry"] },
  };
}

function newId(): string {
  const id = uniqueName("copy");
  onTestFinished(() => cleanUp(cluster, id));
  return id;
}

const decoded = (data: Record<string, string> | undefined, key: string) =>
  Buffer.from(data?.[key] ?? "", "base64").toString("utf8");

describe("the operator's Secrets in a pull request's namespace", () => {
  it("are copied, put on the default ServiceAccount's imagePullSecrets, follow the source, and never reach a log", async () => {
    const from = await sourceNamespace();
    const id = newId();
    const capture = new LogCapture();
    const log = createLogger({ level: "trace", destination: capture });
    const rendered = environment({ id, objects: [main(deployment("web"))] });

    await deployEnvironment(cluster, rendered, { wait: true, timeoutMs: 60_000, baseline: copying(from), log });

    const registry = await cluster.core.readNamespacedSecret({ name: "registry", namespace: id });
    expect(registry.type).toBe("kubernetes.io/dockerconfigjson");
    expect(decoded(registry.data, ".dockerconfigjson")).toBe(REGISTRY_VALUE);
    expect(decoded((await cluster.core.readNamespacedSecret({ name: "db", namespace: id })).data, "url")).toBe(
      DB_VALUE,
    );
    await expect(cluster.core.readNamespacedSecret({ name: "unrelated", namespace: id })).rejects.toMatchObject({
      code: 404,
    });
    const account = await cluster.core.readNamespacedServiceAccount({ name: "default", namespace: id });
    expect(account.imagePullSecrets).toEqual([{ name: "registry" }]);
    // The ServiceAccount admission plugin gave the pods the pull secret: private images pull.
    const pods = await cluster.core.listNamespacedPod({ namespace: id, labelSelector: "app=web" });
    expect(pods.items[0]?.spec?.imagePullSecrets).toEqual([{ name: "registry" }]);

    // The source changes: the next deploy carries the change; a Secret no longer selected goes.
    await cluster.core.replaceNamespacedSecret({
      name: "db",
      namespace: from,
      body: {
        metadata: { name: "db", labels: { "prbox.dev/copy": "true" } },
        stringData: { url: `${DB_VALUE}-rotated` },
      },
    });
    await deployEnvironment(cluster, rendered, { wait: true, timeoutMs: 60_000, baseline: copying(from), log });
    expect(decoded((await cluster.core.readNamespacedSecret({ name: "db", namespace: id })).data, "url")).toBe(
      `${DB_VALUE}-rotated`,
    );

    // Even its type (immutable on a Secret): the copy is replaced.
    await cluster.core.deleteNamespacedSecret({ name: "db", namespace: from });
    await cluster.core.createNamespacedSecret({
      namespace: from,
      body: {
        metadata: { name: "db", labels: { "prbox.dev/copy": "true" } },
        type: "example.com/database",
        stringData: { url: DB_VALUE },
      },
    });
    await deployEnvironment(cluster, rendered, { wait: true, timeoutMs: 60_000, baseline: copying(from), log });
    expect((await cluster.core.readNamespacedSecret({ name: "db", namespace: id })).type).toBe("example.com/database");

    await cluster.core.replaceNamespacedSecret({
      name: "db",
      namespace: from,
      body: { metadata: { name: "db" }, type: "example.com/database", stringData: { url: DB_VALUE } },
    });
    await deployEnvironment(cluster, rendered, { wait: true, timeoutMs: 60_000, baseline: copying(from), log });
    await expect(cluster.core.readNamespacedSecret({ name: "db", namespace: id })).rejects.toMatchObject({ code: 404 });
    expect(await cluster.core.readNamespacedSecret({ name: "registry", namespace: id })).toBeDefined();

    const logged = capture.lines.join("");
    expect(logged).toContain("deployed");
    for (const secret of [
      "s3cr3t",
      Buffer.from(DB_VALUE).toString("base64"),
      registry.data?.[".dockerconfigjson"] ?? "?",
    ])
      expect(logged).not.toContain(secret);
  });

  it("refuses a spec Secret named like one the selector copies, before the namespace exists, without its value in the message", async () => {
    const from = await sourceNamespace();
    const id = newId();
    const own = main({ apiVersion: "v1", kind: "Secret", metadata: { name: "db" }, stringData: { url: "mine" } });

    const error: unknown = await deployEnvironment(cluster, environment({ id, objects: [own] }), {
      wait: false,
      timeoutMs: 30_000,
      baseline: copying(from),
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).message).toBe(
      "Secret db (templates/db.yaml) has the name of a Secret the operator copies into every preview; a pull request cannot weaken its namespace's baseline",
    );
    expect(describeError(error)).not.toContain("s3cr3t");
    expect((await cluster.core.listNamespace({ labelSelector: `prbox.dev/environment=${id}` })).items).toEqual([]);
  });

  it("fail the deploy naming a Secret the operator listed that the source namespace lacks", async () => {
    const from = await sourceNamespace();
    const baseline: Baseline = {
      ...defaultBaseline(),
      secrets: { from, names: ["registry", "missing"], selector: null, imagePullSecrets: [] },
    };

    const error: unknown = await deployEnvironment(cluster, environment({ id: newId(), objects: [] }), {
      wait: false,
      timeoutMs: 30_000,
      baseline,
    }).catch((e: unknown) => e);

    expect((error as Error).message).toBe(
      `Secret missing to copy into previews (PRBOX_COPY_SECRETS) does not exist in namespace ${from} or cannot be read`,
    );
  });
});

describe("the start-up check of the baseline's settings", () => {
  it("stops prbox when the source namespace does not exist, naming the setting", async () => {
    const baseline: Baseline = {
      ...defaultBaseline(),
      secrets: { from: uniqueName("nowhere"), names: ["registry"], selector: null, imagePullSecrets: [] },
    };

    const error: unknown = await checkBaselineSettings(cluster, baseline).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `PRBOX_COPY_SECRETS_FROM: namespace ${baseline.secrets?.from} does not exist; create it and put the Secrets to copy there, or change the setting`,
    ]);
  });

  it("passes for an existing source namespace, and when nothing is copied", async () => {
    await expect(checkBaselineSettings(cluster, copying(await sourceNamespace()))).resolves.toBeUndefined();
    await expect(checkBaselineSettings(cluster, defaultBaseline())).resolves.toBeUndefined();
  });
});
