import { describe, expect, it, onTestFinished } from "vitest";
import { deployEnvironment, describeEnvironment, listEnvironments } from "../../../src/cluster/index.js";
import {
  cleanUp,
  configMap,
  deployment,
  environment,
  job,
  main,
  testCluster,
  uniqueName,
} from "../../support/cluster-fixtures.js";

const cluster = testCluster();

function newId(): string {
  const id = uniqueName("rec");
  onTestFinished(() => cleanUp(cluster, id));
  return id;
}

describe("reading environments back from the cluster", () => {
  it("lists a deployed environment with its pull request record", async () => {
    const id = newId();
    await deployEnvironment(cluster, environment({ id, objects: [main(configMap("settings"))] }), {
      wait: false,
      timeoutMs: 30_000,
      now: () => new Date("2026-11-22T10:00:00Z"),
    });

    const records = await listEnvironments(cluster);

    expect(records.find((r) => r.id === id)).toEqual({
      id,
      name: `test environment ${id}`,
      namespace: id,
      extraNamespaces: [],
      forge: "github",
      repo: "acme/shop",
      pr: 42,
      branch: "feature/cart",
      sha: "0123456789abcdef",
      url: `https://${id}.preview.example.com`,
      boxes: ["app"],
      deployedAt: "2026-11-22T10:00:00.000Z",
      status: "ready",
      lastError: null,
      adopted: false,
    });
  });

  it("lists a CLI environment once, with its extra namespaces", async () => {
    const id = newId();
    const db = configMap("db");
    db.metadata.namespace = `${id}-db`;
    const rendered = environment({ id, mode: "cli", objects: [main(configMap("app")), main(db)] });
    await deployEnvironment(cluster, rendered, { wait: false, timeoutMs: 30_000 });

    const mine = (await listEnvironments(cluster)).filter((r) => r.id === id);

    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ namespace: id, extraNamespaces: [`${id}-db`], forge: null, pr: null, repo: null });
  });

  it("describes the objects an environment owns, each with a one-word readiness", async () => {
    const id = newId();
    const objects = [
      main(configMap("settings")),
      main(deployment("web")),
      main(deployment("broken", { failWith: "ImagePullBackOff" })),
      main(job("migrate")),
    ];
    await deployEnvironment(cluster, environment({ id, objects }), { wait: false, timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const description = await describeEnvironment(cluster, id);

    expect(description?.record.id).toBe(id);
    expect(description?.objects).toEqual([
      { apiVersion: "v1", kind: "ConfigMap", namespace: id, name: "settings", readiness: "present" },
      { apiVersion: "apps/v1", kind: "Deployment", namespace: id, name: "broken", readiness: "progressing" },
      { apiVersion: "apps/v1", kind: "Deployment", namespace: id, name: "web", readiness: "ready" },
      { apiVersion: "batch/v1", kind: "Job", namespace: id, name: "migrate", readiness: "ready" },
    ]);
  });

  it("answers null when describing an environment that does not exist", async () => {
    expect(await describeEnvironment(cluster, uniqueName("nobody"))).toBeNull();
  });

  it("says 'deploying' while a deploy waits, then 'failed' with the reason when it times out", async () => {
    const id = newId();
    const stuck = environment({ id, objects: [main(deployment("web", { failWith: "ImagePullBackOff" }))] });
    const deploying = deployEnvironment(cluster, stuck, { wait: true, timeoutMs: 3000 }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect((await listEnvironments(cluster)).find((r) => r.id === id)?.status).toBe("deploying");
    await deploying;
    const failed = (await listEnvironments(cluster)).find((r) => r.id === id);
    expect(failed?.status).toBe("failed");
    expect(failed?.lastError).toContain(`Deployment web in ${id} is not ready after 3s`);
    expect(failed?.lastError).toContain("ImagePullBackOff");
  });

  it("clears the last error once a later deploy succeeds", async () => {
    const id = newId();
    const bad = deployment("web");
    (bad.spec as { selector: unknown }).selector = { matchLabels: { app: "other" } };
    await expect(
      deployEnvironment(cluster, environment({ id, objects: [main(bad)] }), { wait: false, timeoutMs: 30_000 }),
    ).rejects.toThrow();
    const failed = (await listEnvironments(cluster)).find((r) => r.id === id);
    expect(failed?.status).toBe("failed");
    expect(failed?.lastError).toContain('Deployment.apps "web" is invalid');

    await deployEnvironment(cluster, environment({ id, objects: [main(deployment("web"))] }), {
      wait: false,
      timeoutMs: 30_000,
    });

    const fixed = (await listEnvironments(cluster)).find((r) => r.id === id);
    expect(fixed).toMatchObject({ status: "ready", lastError: null });
  });
});
