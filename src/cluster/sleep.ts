import { PatchStrategy, type KubernetesObject, type V1Namespace } from "@kubernetes/client-node";
import { ClusterError } from "../errors.js";
import type { KubeObject } from "../model.js";
import { call, isNotFound, classifyApiError } from "./api-errors.js";
import type { Cluster } from "./client.js";
import {
  ANNOTATION_SLEEP_HOSTS,
  ANNOTATION_SLEEP_REPLICAS,
  ANNOTATION_SLEEP_SPEC,
  FIELD_MANAGER,
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  LABEL_SLEEPING,
  MANAGED_BY,
} from "./keys.js";
import { environmentNamespaces, isTerminating, patchNamespaceMetadata } from "./namespaces.js";

// Sleep and wake (ADR 28): a sleeping environment's Deployments and StatefulSets run no pod and
// its Ingresses send every request to prbox's waking page. What sleep changes it remembers on the
// objects themselves, and wake puts back exactly: the cluster stays the record (ADR 5).

/** The Service (type ExternalName, at PRBOX_WAKE_ADDRESS) a sleeping Ingress points at. */
export const WAKING_SERVICE = "prbox-waking";

const WORKLOADS = ["Deployment", "StatefulSet"].map((kind) => ({ apiVersion: "apps/v1", kind }));
const INGRESS = { apiVersion: "networking.k8s.io/v1", kind: "Ingress" };

/** Where the ingress controller reaches prbox's server: the operator's PRBOX_WAKE_ADDRESS. */
export interface WakeTarget {
  host: string;
  port: number;
}

export interface SleepResult {
  /** The addresses the Ingresses serve (now the waking page), https where they have TLS. */
  urls: string[];
  /** Workloads scaled to zero by this call. */
  scaled: number;
}

/**
 * Puts environment `id` to sleep: in each of its namespaces, every Deployment and StatefulSet is
 * scaled to zero with its replicas remembered in an annotation, and every Ingress points at the
 * waking Service with its spec remembered. Safe to repeat: the namespace is marked first, and a
 * marked namespace keeps what an earlier, interrupted call remembered.
 */
export async function sleepEnvironment(cluster: Cluster, id: string, target: WakeTarget): Promise<SleepResult> {
  const result: SleepResult = { urls: [], scaled: 0 };
  for (const namespace of await liveNamespaces(cluster, id)) {
    const name = namespace.metadata?.name ?? "";
    // A fresh sleep overwrites whatever sleep annotations the PR's own objects carried.
    const resumed = namespace.metadata?.labels?.[LABEL_SLEEPING] === "true";
    const ingresses = await listAll(cluster, INGRESS, name);
    const hosts = hostsOf(ingresses.map((ingress) => originalSpec(ingress, resumed)));
    await patchNamespaceMetadata(cluster, name, {
      labels: { [LABEL_SLEEPING]: "true" },
      annotations: { [ANNOTATION_SLEEP_HOSTS]: JSON.stringify(hosts.map((h) => h.host)) },
    });
    result.scaled += await scaleDown(cluster, name, resumed);
    if (ingresses.length > 0) await applyWakingService(cluster, name, target);
    for (const ingress of ingresses) {
      if (resumed && annotation(ingress, ANNOTATION_SLEEP_SPEC) !== undefined) continue;
      await replace(cluster, {
        ...ingress,
        metadata: withAnnotations(ingress, { [ANNOTATION_SLEEP_SPEC]: JSON.stringify(ingress.spec ?? {}) }),
        spec: wakingSpec(ingress.spec, target.port),
      });
    }
    result.urls.push(...hosts.map((h) => `${h.tls ? "https" : "http"}://${h.host}`));
  }
  return result;
}

/**
 * Wakes environment `id`: restores the replicas and the Ingresses' specs exactly as sleep found
 * them, deletes the waking Service and unmarks the namespace (last, so a wake cut short is
 * resumed). Returns whether anything slept. A namespace sleep never marked is left alone, so
 * annotations a PR's objects carry themselves are never taken for remembered values.
 */
export async function wakeEnvironment(cluster: Cluster, id: string): Promise<boolean> {
  let slept = false;
  for (const namespace of await liveNamespaces(cluster, id)) {
    const name = namespace.metadata?.name ?? "";
    if (namespace.metadata?.labels?.[LABEL_SLEEPING] !== "true") continue;
    slept = true;
    for (const kind of WORKLOADS) {
      for (const object of await listAll(cluster, kind, name)) {
        const remembered = annotation(object, ANNOTATION_SLEEP_REPLICAS);
        if (remembered === undefined) continue;
        await mergePatch(cluster, object, { [ANNOTATION_SLEEP_REPLICAS]: null }, { replicas: replicasOf(remembered) });
      }
    }
    for (const ingress of await listAll(cluster, INGRESS, name)) {
      const remembered = annotation(ingress, ANNOTATION_SLEEP_SPEC);
      if (remembered === undefined) continue;
      const metadata = withAnnotations(ingress, {});
      delete metadata.annotations[ANNOTATION_SLEEP_SPEC];
      await replace(cluster, { ...ingress, metadata, spec: JSON.parse(remembered) as unknown });
    }
    await deleteWakingService(cluster, name);
    await patchNamespaceMetadata(cluster, name, {
      labels: { [LABEL_SLEEPING]: null },
      annotations: { [ANNOTATION_SLEEP_HOSTS]: null },
    });
  }
  return slept;
}

/**
 * Every host a sleeping environment's Ingresses served, with the environment's id: what the
 * waking page wakes. Only prbox's own marks count (the namespace label and annotation, which no
 * PR can write); a host two environments claim goes to the first listed.
 */
export async function sleepingHosts(cluster: Cluster): Promise<Map<string, string>> {
  const labelSelector = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_SLEEPING}=true`;
  const list = await call("listing sleeping namespaces", () => cluster.core.listNamespace({ labelSelector }));
  const hosts = new Map<string, string>();
  for (const namespace of list.items) {
    const id = namespace.metadata?.labels?.[LABEL_ENVIRONMENT];
    if (!id) continue;
    for (const host of parseHosts(namespace.metadata?.annotations?.[ANNOTATION_SLEEP_HOSTS]))
      if (!hosts.has(host)) hosts.set(host, id);
  }
  return hosts;
}

function parseHosts(text: string | undefined): string[] {
  try {
    const hosts: unknown = JSON.parse(text ?? "[]");
    return Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === "string") : [];
  } catch {
    return [];
  }
}

async function liveNamespaces(cluster: Cluster, id: string): Promise<V1Namespace[]> {
  return (await environmentNamespaces(cluster, id)).filter((namespace) => !isTerminating(namespace));
}

type RawObject = KubernetesObject & { spec?: Record<string, unknown> };

async function listAll(cluster: Cluster, kind: { apiVersion: string; kind: string }, namespace: string) {
  const items: (RawObject & KubeObject)[] = [];
  let token: string | undefined;
  do {
    const page = await call(`listing ${kind.kind} objects in ${namespace}`, () =>
      cluster.objects.listRaw(kind.apiVersion, kind.kind, namespace, {
        labelSelector: "",
        limit: 500,
        continue: token,
      }),
    );
    for (const item of page.items) items.push({ ...(item as RawObject & KubeObject), ...kind });
    token = page.metadata?.continue || undefined;
  } while (token);
  return items;
}

function annotation(object: KubernetesObject, key: string): string | undefined {
  return object.metadata?.annotations?.[key];
}

function withAnnotations(object: KubeObject, more: Record<string, string>) {
  return { ...object.metadata, annotations: { ...object.metadata.annotations, ...more } };
}

function originalSpec(ingress: RawObject, resumed: boolean): Record<string, unknown> {
  const remembered = resumed ? annotation(ingress, ANNOTATION_SLEEP_SPEC) : undefined;
  return remembered === undefined ? (ingress.spec ?? {}) : (JSON.parse(remembered) as Record<string, unknown>);
}

interface IngressSpec {
  rules?: { host?: string; http?: { paths?: Record<string, unknown>[] } }[];
  tls?: { hosts?: string[] }[];
  defaultBackend?: unknown;
}

function hostsOf(specs: IngressSpec[]): { host: string; tls: boolean }[] {
  const seen = new Map<string, boolean>();
  for (const spec of specs) {
    const tls = new Set((spec.tls ?? []).flatMap((t) => t.hosts ?? []));
    for (const rule of spec.rules ?? []) if (rule.host) seen.set(rule.host, seen.get(rule.host) || tls.has(rule.host));
  }
  return [...seen].map(([host, tls]) => ({ host, tls }));
}

/** The Ingress spec while asleep: the same hosts, paths, class and TLS, every backend the waking Service. */
function wakingSpec(spec: IngressSpec | undefined, port: number): IngressSpec {
  const backend = { service: { name: WAKING_SERVICE, port: { number: port } } };
  return {
    ...spec,
    ...(spec?.defaultBackend ? { defaultBackend: backend } : {}),
    rules: (spec?.rules ?? []).map((rule) =>
      rule.http ? { ...rule, http: { paths: (rule.http.paths ?? []).map((path) => ({ ...path, backend })) } } : rule,
    ),
  };
}

async function scaleDown(cluster: Cluster, namespace: string, resumed: boolean): Promise<number> {
  let scaled = 0;
  for (const kind of WORKLOADS) {
    for (const object of await listAll(cluster, kind, namespace)) {
      if (resumed && annotation(object, ANNOTATION_SLEEP_REPLICAS) !== undefined) continue;
      const replicas = typeof object.spec?.replicas === "number" ? object.spec.replicas : 1;
      await mergePatch(cluster, object, { [ANNOTATION_SLEEP_REPLICAS]: String(replicas) }, { replicas: 0 });
      scaled++;
    }
  }
  return scaled;
}

function replicasOf(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ClusterError(`the remembered replicas "${text}" are not a whole number`, { kind: "permanent" });
  return n;
}

async function mergePatch(
  cluster: Cluster,
  object: KubeObject,
  annotations: Record<string, string | null>,
  spec: Record<string, unknown>,
): Promise<void> {
  const { apiVersion, kind } = object;
  const { name, namespace } = object.metadata;
  // A JSON merge patch removes a key given as null; the client's types do not know that.
  const body = { apiVersion, kind, metadata: { name, namespace, annotations }, spec } as KubernetesObject;
  await call(`scaling ${kind} ${namespace}/${name}`, () =>
    cluster.objects.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
  );
}

async function replace(cluster: Cluster, object: KubeObject): Promise<void> {
  const { kind, metadata } = object;
  await call(`updating ${kind} ${metadata.namespace}/${metadata.name}`, () => cluster.objects.replaceRaw(object));
}

async function applyWakingService(cluster: Cluster, namespace: string, target: WakeTarget): Promise<void> {
  const service: KubeObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: WAKING_SERVICE, namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY } },
    spec: { type: "ExternalName", externalName: target.host, ports: [{ name: "http", port: target.port }] },
  };
  await call(`creating the waking Service in ${namespace}`, () => cluster.objects.apply(service));
}

async function deleteWakingService(cluster: Cluster, namespace: string): Promise<void> {
  try {
    await cluster.core.deleteNamespacedService({ name: WAKING_SERVICE, namespace });
  } catch (error) {
    if (!isNotFound(error)) throw classifyApiError(error, `deleting the waking Service in ${namespace}`);
  }
}
