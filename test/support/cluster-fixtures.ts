// Shared pieces of the cluster tests: the test cluster's kubeconfig, unique
// environment names, small object builders and cleanup. Nothing here stubs
// prbox: every test talks to a real API server.
import { randomBytes } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, inject, onTestFinished } from "vitest";
import { clusterFromKubeConfig, deleteEnvironment, type Cluster } from "../../src/cluster/index.js";
import { ClusterError } from "../../src/errors.js";
import { startClusterProxy, type ClusterProxy } from "./cluster-proxy.js";
import type { HookDeletePolicy, KubeObject, Phase, RenderedEnvironment, RenderedObject } from "../../src/model.js";

/** The kubeconfig of the cluster test/setup/cluster.ts started, or KUBECONFIG when that setup is not wired in. */
export function testKubeconfig(): string {
  const provided = inject("kubeconfig") as string | undefined;
  const path = provided ?? process.env.KUBECONFIG;
  if (!path) {
    throw new Error(
      "no test cluster: wire test/setup/cluster.ts as vitest globalSetup, or set KUBECONFIG (scripts/test-cluster start DIR)",
    );
  }
  return path;
}

export function testCluster(): Cluster {
  const kc = new KubeConfig();
  kc.loadFromFile(testKubeconfig());
  return clusterFromKubeConfig(kc);
}

/** A fresh DNS-label-safe name, so tests never share a namespace. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export function main(object: KubeObject): RenderedObject {
  return { object, box: "app", source: `templates/${object.metadata.name}.yaml`, phase: "main", deletePolicies: [] };
}

export function hook(
  object: KubeObject,
  phase: Exclude<Phase, "main">,
  deletePolicies: HookDeletePolicy[] = [],
): RenderedObject {
  return { object, box: "app", source: `templates/${object.metadata.name}.yaml`, phase, deletePolicies };
}

export interface EnvironmentShape {
  id: string;
  namespace?: string;
  mode?: "pr" | "cli";
  objects: RenderedObject[];
  extraNamespaces?: string[];
}

export function environment(shape: EnvironmentShape): RenderedEnvironment {
  const namespace = shape.namespace ?? shape.id;
  const mode = shape.mode ?? "pr";
  const pr =
    mode === "pr"
      ? { forge: "github", repo: "acme/shop", pr: 42, branch: "feature/cart", sha: "0123456789abcdef" }
      : null;
  return {
    environment: {
      id: shape.id,
      name: `test environment ${shape.id}`,
      namespace,
      extraNamespaces: shape.extraNamespaces ?? [],
      url: `https://${shape.id}.preview.example.com`,
      mode,
      pr,
    },
    boxes: ["app"],
    objects: shape.objects.map((o) => ({
      ...o,
      object: { ...o.object, metadata: { namespace, ...o.object.metadata } },
    })),
    warnings: [],
  };
}

export function configMap(name: string, data: Record<string, string> = { greeting: "hello" }): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data };
}

export interface WorkloadShape {
  /** A prbox.dev/test-fail reason the kwok stage acts out: ImagePullBackOff, CrashLoopBackOff. */
  failWith?: string;
  image?: string;
  replicas?: number;
}

function podTemplate(name: string, shape: WorkloadShape): Record<string, unknown> {
  const labels: Record<string, string> = { app: name };
  if (shape.failWith) labels["prbox.dev/test-fail"] = shape.failWith;
  return {
    metadata: { labels },
    spec: { containers: [{ name: "main", image: shape.image ?? "registry.example.com/app:1.0" }] },
  };
}

export function deployment(name: string, shape: WorkloadShape = {}): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas: shape.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: podTemplate(name, shape),
    },
  };
}

export function job(name: string, shape: WorkloadShape = {}): KubeObject {
  const template = podTemplate(name, shape);
  (template.spec as Record<string, unknown>).restartPolicy = "Never";
  return { apiVersion: "batch/v1", kind: "Job", metadata: { name }, spec: { backoffLimit: 0, template } };
}

/**
 * A Helm-test-like pod: bare, runs once. The kwok stage pod-exit.yaml ends it with `exitCode`
 * (default 0); with `failWith` it never starts (pod-fail.yaml).
 */
export function testPod(name: string, shape: WorkloadShape & { exitCode?: number } = {}): KubeObject {
  const template = podTemplate(name, shape);
  if (shape.exitCode !== undefined)
    (template.metadata as { labels: Record<string, string> }).labels["prbox.dev/test-exit-code"] = String(
      shape.exitCode,
    );
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, ...(template.metadata as object) },
    spec: { ...(template.spec as object), restartPolicy: "Never" },
  };
}

/**
 * Deletes what a test deployed, whatever state it is in. Namespaces are only
 * asked to go, not waited for (the namespace controller takes seconds per
 * namespace); tests of delete itself wait, through deleteEnvironment.
 */
export async function cleanUp(cluster: Cluster, id: string): Promise<void> {
  const { items } = await cluster.core.listNamespace({ labelSelector: `prbox.dev/environment=${id}` });
  for (const ns of items) {
    const name = ns.metadata?.name ?? "";
    if (ns.metadata?.labels?.["prbox.dev/adopted"] === "true")
      await deleteEnvironment(cluster, id, { timeoutMs: 30_000 });
    await cluster.core.deleteNamespace({ name }).catch(() => undefined);
  }
}

/** An environment of its own for one test (id prefixed), deleted when the test finishes. */
export function testEnvironment(
  cluster: Cluster,
  prefix: string,
  objects: RenderedObject[],
  mode: "pr" | "cli" = "pr",
): RenderedEnvironment {
  const id = uniqueName(prefix);
  onTestFinished(() => cleanUp(cluster, id));
  return environment({ id, objects, mode });
}

/** A fault-injecting proxy in front of the test cluster for the calling file; call the result inside a test. */
export function useClusterProxy(): () => ClusterProxy {
  let proxy: ClusterProxy | undefined;
  beforeAll(async () => {
    proxy = await startClusterProxy(testKubeconfig());
  });
  afterAll(() => proxy?.close());
  return () => {
    if (!proxy) throw new Error("the cluster proxy is not started yet");
    return proxy;
  };
}

/** The ClusterError a promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function clusterFailure(promise: Promise<unknown>): Promise<ClusterError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClusterError);
  return error as ClusterError;
}
