import { PatchStrategy } from "@kubernetes/client-node";
import { describe, expect, it, onTestFinished } from "vitest";
import { deployEnvironment } from "../../../src/cluster/index.js";
import { waitForReady } from "../../../src/cluster/wait.js";
import { NotReadyError } from "../../../src/errors.js";
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

async function deployed(objects: Parameters<typeof environment>[0]["objects"], timeoutMs = 60_000) {
  const id = uniqueName("wait");
  onTestFinished(() => cleanUp(cluster, id));
  const result = await deployEnvironment(cluster, environment({ id, objects }), { wait: false, timeoutMs });
  return { id, result };
}

async function notReadyError(promise: Promise<unknown>): Promise<NotReadyError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NotReadyError);
  return error as NotReadyError;
}

describe("waiting for readiness", () => {
  it("returns once a Deployment has rolled out", async () => {
    const { result } = await deployed([main(deployment("web", { replicas: 2 }))]);
    await waitForReady(cluster, result.applied, { timeoutMs: 30_000 });
    const web = (await cluster.objects.read({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: result.namespace },
    })) as {
      status?: { availableReplicas?: number };
    };
    expect(web.status?.availableReplicas).toBe(2);
  });

  it("returns once a Job has completed", async () => {
    const { result } = await deployed([main(job("migrate"))]);
    await waitForReady(cluster, result.applied, { timeoutMs: 30_000 });
    const migrate = (await cluster.objects.read({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "migrate", namespace: result.namespace },
    })) as {
      status?: { succeeded?: number };
    };
    expect(migrate.status?.succeeded).toBe(1);
  });

  it("returns once a StatefulSet and a DaemonSet have rolled out", async () => {
    const pods = (name: string) => ({
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "main", image: "registry.example.com/db:1" }] },
      },
    });
    const db = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db" },
      spec: { replicas: 2, serviceName: "db", ...pods("db") },
    };
    const agent = { apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "agent" }, spec: pods("agent") };
    const { result } = await deployed([main(db), main(agent)]);

    await waitForReady(cluster, result.applied, { timeoutMs: 30_000 });

    const read = (kind: string, name: string) =>
      cluster.objects.read({
        apiVersion: "apps/v1",
        kind,
        metadata: { name, namespace: result.namespace },
      }) as Promise<{ status?: Record<string, number> }>;
    expect((await read("StatefulSet", "db")).status?.readyReplicas).toBe(2);
    expect((await read("DaemonSet", "agent")).status?.numberAvailable).toBe(2);
  });

  it("needs no waiting for objects without a rollout, such as a ConfigMap", async () => {
    const { result } = await deployed([main(configMap("settings"))]);
    const started = Date.now();
    await waitForReady(cluster, result.applied, { timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("fails with a NotReadyError naming the Deployment and ImagePullBackOff when its image cannot be pulled", async () => {
    const { result } = await deployed([
      main(deployment("web", { failWith: "ImagePullBackOff", image: "registry.example.com/web:missing" })),
    ]);
    const error = await notReadyError(waitForReady(cluster, result.applied, { timeoutMs: 4000 }));
    expect(error.message).toBe(`Deployment web in ${result.namespace} is not ready after 4s`);
    const pull = error.diagnostics.find((d) => d.includes("ImagePullBackOff"));
    expect(pull).toMatch(
      new RegExp(
        `^Deployment web in ${result.namespace}: pod web-[a-z0-9-]+, container main: ImagePullBackOff: image "registry.example.com/web:missing" cannot be pulled`,
      ),
    );
  });

  it("gives up early, before the timeout, once a Deployment exceeds its progress deadline", async () => {
    const stalled = deployment("web", { failWith: "ImagePullBackOff" });
    (stalled.spec as Record<string, unknown>).progressDeadlineSeconds = 1;
    const { result } = await deployed([main(stalled)]);
    const started = Date.now();

    const error = await notReadyError(waitForReady(cluster, result.applied, { timeoutMs: 30_000 }));

    expect(Date.now() - started).toBeLessThan(20_000);
    expect(error.message).toBe(`Deployment web in ${result.namespace} failed`);
    expect(error.diagnostics[0]).toMatch(
      new RegExp(
        `^Deployment web in ${result.namespace}: ProgressDeadlineExceeded: ReplicaSet "web-[a-z0-9]+" has timed out progressing`,
      ),
    );
  });

  it("reports a crash loop with its restart count and says why the logs are missing", async () => {
    const { result } = await deployed([main(deployment("api", { failWith: "CrashLoopBackOff" }))]);
    const error = await notReadyError(waitForReady(cluster, result.applied, { timeoutMs: 4000 }));
    const crash = error.diagnostics.find((d) => d.includes("CrashLoopBackOff"));
    expect(crash).toContain("restarted 5 times, last exit code 1 (Error)");
    // kwok simulates no container runtime, so reading logs fails; the diagnosis says so instead of throwing.
    expect(crash).toMatch(/last log lines:|logs unavailable: /);
  });

  it("reports one line for a problem shared by every replica", async () => {
    const { result } = await deployed([main(deployment("web", { failWith: "ImagePullBackOff", replicas: 3 }))]);
    const error = await notReadyError(waitForReady(cluster, result.applied, { timeoutMs: 4000 }));
    expect(error.diagnostics.filter((d) => d.includes("ImagePullBackOff"))).toHaveLength(1);
  });

  it("names the quota a Deployment's pods exceed", async () => {
    const quota = {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "tiny" },
      spec: { hard: { pods: "0" } },
    };
    const { result } = await deployed([main(quota), main(deployment("web"))]);
    const error = await notReadyError(waitForReady(cluster, result.applied, { timeoutMs: 3000 }));
    expect(error.diagnostics.join("\n")).toMatch(
      new RegExp(
        `Deployment web in ${result.namespace}: ReplicaSet web-[a-z0-9]+: FailedCreate: pods "web-[a-z0-9]+-[a-z0-9]+" is forbidden: exceeded quota: tiny`,
      ),
    );
  });

  it("names the scheduler's reason when no node fits a pod", async () => {
    const picky = deployment("web");
    const template = (picky.spec as { template: { spec: Record<string, unknown> } }).template;
    template.spec.nodeSelector = { disktype: "ssd-that-nobody-has" };
    const { result } = await deployed([main(picky)]);
    const error = await notReadyError(waitForReady(cluster, result.applied, { timeoutMs: 3000 }));
    expect(error.diagnostics.join("\n")).toMatch(
      /pod web-[a-z0-9-]+: FailedScheduling: 0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector/,
    );
  });

  it("names every workload still pending when the time runs out, and only those", async () => {
    const { result } = await deployed([main(deployment("good")), main(job("stuck", { failWith: "ImagePullBackOff" }))]);
    const error = await notReadyError(waitForReady(cluster, result.applied, { timeoutMs: 5000 }));
    expect(error.message).toBe(`Job stuck in ${result.namespace} is not ready after 5s`);
    expect(error.diagnostics.join("\n")).not.toContain("Deployment good");
  });

  it("stops waiting when the signal is aborted", async () => {
    const { result } = await deployed([main(deployment("web", { failWith: "ImagePullBackOff" }))]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    await expect(
      waitForReady(cluster, result.applied, { timeoutMs: 30_000, signal: controller.signal }),
    ).rejects.toMatchObject({
      kind: "transient",
      message: "waiting for workloads: cancelled",
    });
  });

  it("sees a workload settle when it happens, not at the next poll (a watch ends the pause)", async () => {
    // No node fits its pod: pending until the test removes the node selector.
    const picky = deployment("web");
    const template = (picky.spec as { template: { spec: Record<string, unknown> } }).template;
    template.spec.nodeSelector = { disktype: "ssd-that-nobody-has" };
    const { result } = await deployed([main(picky)]);
    const started = Date.now();
    let settledAt = 0;
    const waiting = waitForReady(cluster, result.applied, { timeoutMs: 50_000, intervalMs: 600_000 }).then(() => {
      settledAt = Date.now();
    });
    // The polls come at 0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3 and 12.7 s, then at 25.5 s: let the pod be
    // scheduled just after 12.7 s, so that a poll alone would see the rollout 12 s later.
    await new Promise((resolve) => setTimeout(resolve, 13_200 - (Date.now() - started)));
    expect(settledAt).toBe(0);
    const resumed = Date.now();
    const body = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: result.namespace },
      spec: { template: { spec: { nodeSelector: null } } },
    };
    await cluster.objects.patch(body, undefined, undefined, "test", undefined, PatchStrategy.MergePatch);

    await waiting;
    expect(settledAt - resumed).toBeLessThan(10_000);
  });
});
