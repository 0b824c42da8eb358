// Sleep and wake on the test control plane (ADR 28): what sleep changes on Deployments,
// StatefulSets and Ingresses, that wake restores it exactly, that an interrupted sleep resumes
// without losing what it remembered, and that a PR's own annotations are never taken for
// remembered values. The Ingress objects are what is checked: kwok runs no ingress controller.
import { PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  deployEnvironment,
  listEnvironments,
  sleepEnvironment,
  sleepingHosts,
  wakeEnvironment,
  type WakeTarget,
} from "../../../src/cluster/index.js";
import type { KubeObject } from "../../../src/model.js";
import { cleanUp, deployment, environment, main, testCluster, uniqueName } from "../../support/cluster-fixtures.js";

const cluster = testCluster();
const target: WakeTarget = { host: "prbox.prbox-system.svc.cluster.local", port: 3000 };

function statefulSet(name: string, replicas: number): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "main", image: "registry.example.com/db:1.0" }] },
      },
    },
  };
}

/** Two rules (one with TLS), several paths, a defaultBackend and a resource backend: every shape sleep rewrites. */
function ingress(id: string): KubeObject {
  const service = (name: string, port: Record<string, unknown>) => ({ service: { name, port } });
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "www", annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "8m" } },
    spec: {
      ingressClassName: "nginx",
      tls: [{ hosts: [`${id}.preview.example.com`], secretName: "www-tls" }],
      defaultBackend: service("web", { number: 80 }),
      rules: [
        {
          host: `${id}.preview.example.com`,
          http: {
            paths: [
              { path: "/", pathType: "Prefix", backend: service("web", { name: "http" }) },
              {
                path: "/static",
                pathType: "ImplementationSpecific",
                backend: { resource: { apiGroup: "example.com", kind: "Bucket", name: "assets" } },
              },
            ],
          },
        },
        {
          host: `api-${id}.preview.example.com`,
          http: { paths: [{ path: "/v1", pathType: "Exact", backend: service("api", { number: 8080 }) }] },
        },
      ],
    },
  };
}

async function deployed(extra: KubeObject[] = []): Promise<string> {
  const id = uniqueName("sleep");
  onTestFinished(() => cleanUp(cluster, id));
  const objects = [
    deployment("web", { replicas: 3 }),
    deployment("api", { replicas: 0 }),
    statefulSet("db", 2),
    ingress(id),
    ...extra,
  ];
  await deployEnvironment(cluster, environment({ id, objects: objects.map(main) }), { wait: true, timeoutMs: 60_000 });
  return id;
}

async function read(
  id: string,
  kind: string,
  name: string,
): Promise<KubernetesObject & { spec?: Record<string, unknown> }> {
  const apiVersion = kind === "Ingress" ? "networking.k8s.io/v1" : kind === "Service" ? "v1" : "apps/v1";
  return cluster.objects.readRaw({ apiVersion, kind, metadata: { name, namespace: id } });
}

/** The parts of the environment sleep may touch, as the API server has them. */
async function snapshot(id: string) {
  const workloads = await Promise.all(
    [
      ["Deployment", "web"],
      ["Deployment", "api"],
      ["StatefulSet", "db"],
    ].map(([kind, name]) => read(id, kind ?? "", name ?? "")),
  );
  const www = await read(id, "Ingress", "www");
  const namespace = await cluster.core.readNamespace({ name: id });
  return {
    replicas: workloads.map((w) => w.spec?.replicas),
    remembered: workloads.map((w) => w.metadata?.annotations?.["prbox.dev/sleep-replicas"]),
    spec: JSON.stringify(www.spec),
    annotations: www.metadata?.annotations,
    labels: namespace.metadata?.labels,
    namespaceAnnotations: namespace.metadata?.annotations,
  };
}

async function wakingService(id: string): Promise<unknown> {
  return read(id, "Service", "prbox-waking").then(
    (service) => service.spec,
    (error: { code?: number }) => (error.code === 404 ? null : Promise.reject(error)),
  );
}

describe("sleep and wake", () => {
  it("scales every workload to zero remembering its replicas, points every backend at prbox, and wake restores it all byte for byte", async () => {
    const id = await deployed();
    const awake = await snapshot(id);

    const slept = await sleepEnvironment(cluster, id, target);
    expect(slept).toEqual({
      urls: [`https://${id}.preview.example.com`, `http://api-${id}.preview.example.com`],
      scaled: 3,
    });
    const asleep = await snapshot(id);
    expect(asleep.replicas).toEqual([0, 0, 0]);
    expect(asleep.remembered).toEqual(["3", "0", "2"]);
    expect(JSON.parse(asleep.annotations?.["prbox.dev/sleep-spec"] ?? "")).toEqual(JSON.parse(awake.spec));
    const waking = { service: { name: "prbox-waking", port: { number: 3000 } } };
    expect(JSON.parse(asleep.spec)).toEqual({
      ingressClassName: "nginx",
      tls: [{ hosts: [`${id}.preview.example.com`], secretName: "www-tls" }],
      defaultBackend: waking,
      rules: [
        {
          host: `${id}.preview.example.com`,
          http: {
            paths: [
              { path: "/", pathType: "Prefix", backend: waking },
              { path: "/static", pathType: "ImplementationSpecific", backend: waking },
            ],
          },
        },
        {
          host: `api-${id}.preview.example.com`,
          http: { paths: [{ path: "/v1", pathType: "Exact", backend: waking }] },
        },
      ],
    });
    expect(await wakingService(id)).toMatchObject({
      type: "ExternalName",
      externalName: target.host,
      ports: [{ port: 3000 }],
    });
    expect(asleep.labels?.["prbox.dev/sleeping"]).toBe("true");
    // The record says so: after Redis lost its state, the resync takes it back as sleeping (core/adopt.ts).
    expect((await listEnvironments(cluster)).find((r) => r.id === id)).toMatchObject({
      status: "ready",
      sleeping: true,
    });
    const hosts = await sleepingHosts(cluster);
    expect(hosts.get(`${id}.preview.example.com`)).toBe(id);
    expect(hosts.get(`api-${id}.preview.example.com`)).toBe(id);

    expect(await wakeEnvironment(cluster, id)).toBe(true);
    expect(await snapshot(id)).toEqual(awake);
    expect(await wakingService(id)).toBeNull();
    expect((await listEnvironments(cluster)).find((r) => r.id === id)?.sleeping).toBeUndefined();
    expect((await sleepingHosts(cluster)).has(`${id}.preview.example.com`)).toBe(false);
    // Awake, a second wake finds nothing to do.
    expect(await wakeEnvironment(cluster, id)).toBe(false);
    expect(await snapshot(id)).toEqual(awake);
  });

  it("resumes an interrupted sleep without forgetting what it remembered, and a second sleep changes nothing", async () => {
    const id = await deployed();
    const awake = await snapshot(id);
    await sleepEnvironment(cluster, id, target);
    const asleep = await snapshot(id);
    // Sleeping twice (a retried job) must not remember zero as the replicas, nor the waking spec as the Ingress.
    expect(await sleepEnvironment(cluster, id, target)).toMatchObject({ scaled: 0 });
    expect(await snapshot(id)).toEqual(asleep);
    // A sleep cut short after marking the namespace, before it reached "web": the next one scales it alone.
    const web = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: id } };
    const unslept = {
      ...web,
      metadata: { ...web.metadata, annotations: { "prbox.dev/sleep-replicas": null } },
      spec: { replicas: 3 },
    };
    await cluster.objects.patch(
      unslept as unknown as KubernetesObject,
      undefined,
      undefined,
      "test",
      undefined,
      PatchStrategy.MergePatch,
    );
    expect((await snapshot(id)).replicas).toEqual([3, 0, 0]);
    expect(await sleepEnvironment(cluster, id, target)).toMatchObject({ scaled: 1 });
    expect(await snapshot(id)).toEqual(asleep);
    await wakeEnvironment(cluster, id);
    expect(await snapshot(id)).toEqual(awake);
  });

  it("never takes a PR's own sleep annotations for remembered values", async () => {
    const spoofed = deployment("spoof", { replicas: 1 });
    spoofed.metadata.annotations = { "prbox.dev/sleep-replicas": "500" };
    const id = await deployed([spoofed]);
    // Not asleep: wake touches nothing.
    expect(await wakeEnvironment(cluster, id)).toBe(false);
    expect((await read(id, "Deployment", "spoof")).spec?.replicas).toBe(1);
    // A fresh sleep remembers the real replicas over the PR's annotation.
    await sleepEnvironment(cluster, id, target);
    expect((await read(id, "Deployment", "spoof")).metadata?.annotations?.["prbox.dev/sleep-replicas"]).toBe("1");
    await wakeEnvironment(cluster, id);
    expect((await read(id, "Deployment", "spoof")).spec?.replicas).toBe(1);
  });
});
