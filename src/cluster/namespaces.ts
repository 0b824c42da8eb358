import { PatchStrategy, type KubernetesObject, type V1Namespace } from "@kubernetes/client-node";
import { ClusterError } from "../errors.js";
import { apiStatus, call, classifyApiError, isNotFound } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { FIELD_MANAGER, LABEL_ADOPTED, LABEL_ENVIRONMENT, LABEL_MANAGED_BY, MANAGED_BY } from "./keys.js";
import { formatDuration, pollUntil } from "./poll.js";

/** Labels and annotations to write; a null annotation is removed (JSON merge patch). */
export interface NamespaceMetadata {
  labels: Record<string, string>;
  annotations: Record<string, string | null>;
}

export interface EnsuredNamespace {
  name: string;
  created: boolean;
  /** It existed before prbox: delete leaves it standing. */
  adopted: boolean;
}

export interface NamespaceWaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Take over an existing namespace that is no environment's (CLI mode); false in PR mode. Default true. */
  adopt?: boolean;
  /**
   * The namespace as the environment's namespace list just showed it, or null when the list did
   * not have it (it is then created without reading it first: a 409 falls back to reading).
   * Absent: it is read.
   */
  listed?: V1Namespace | null;
}

export async function readNamespace(cluster: Cluster, name: string): Promise<V1Namespace | null> {
  try {
    return await cluster.core.readNamespace({ name });
  } catch (error) {
    if (isNotFound(error)) return null;
    throw classifyApiError(error, `reading namespace ${name}`);
  }
}

/** Every namespace labelled as this environment's (primary, extras, adopted ones). */
export async function environmentNamespaces(cluster: Cluster, id: string): Promise<V1Namespace[]> {
  const labelSelector = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_ENVIRONMENT}=${id}`;
  const list = await call(`listing the namespaces of environment ${id}`, () =>
    cluster.core.listNamespace({ labelSelector }),
  );
  return list.items;
}

export function isTerminating(namespace: V1Namespace): boolean {
  return namespace.status?.phase === "Terminating" || namespace.metadata?.deletionTimestamp !== undefined;
}

export function isAdopted(namespace: V1Namespace): boolean {
  return namespace.metadata?.labels?.[LABEL_ADOPTED] === "true";
}

/** Merge-patches labels and annotations, leaving everyone else's untouched. */
export async function patchNamespaceMetadata(
  cluster: Cluster,
  name: string,
  metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> },
): Promise<void> {
  // A JSON merge patch removes a key given as null; the client's types do not know that.
  const body = { apiVersion: "v1", kind: "Namespace", metadata: { name, ...metadata } } as KubernetesObject;
  await call(`updating namespace ${name}`, () =>
    cluster.objects.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
  );
}

/** Waits until the namespace no longer exists; false when the time ran out first. */
export async function waitNamespaceGone(
  cluster: Cluster,
  name: string,
  options: NamespaceWaitOptions,
): Promise<boolean> {
  return pollUntil(async () => (await readNamespace(cluster, name)) === null, {
    timeoutMs: options.timeoutMs,
    intervalMs: 500,
    signal: options.signal,
    what: `waiting for namespace ${name} to be deleted`,
  });
}

async function createNamespace(cluster: Cluster, name: string, metadata: NamespaceMetadata): Promise<boolean> {
  const annotations = Object.fromEntries(Object.entries(metadata.annotations).filter(([, v]) => v !== null)) as Record<
    string,
    string
  >;
  try {
    await cluster.core.createNamespace({ body: { metadata: { name, labels: metadata.labels, annotations } } });
    return true;
  } catch (error) {
    if (apiStatus(error) === 409) return false; // created meanwhile, or still terminating: look again
    throw classifyApiError(error, `creating namespace ${name}`);
  }
}

function refuseForeign(namespace: V1Namespace, name: string, id: string): void {
  const owner = namespace.metadata?.labels?.[LABEL_ENVIRONMENT];
  if (owner !== undefined && owner !== id) {
    throw new ClusterError(`namespace ${name} belongs to prbox environment ${owner}, not ${id}`, {
      hint: `delete environment ${owner} first (prbox delete environment ${owner}), or give this environment another namespace`,
    });
  }
}

/** PR mode: a namespace prbox did not create for this environment is never taken over (ADR 15). */
function refuseAdoption(name: string, id: string): never {
  throw new ClusterError(
    `namespace ${name} exists and is not environment ${id}'s: a pull request's environment never takes over an existing namespace`,
    {
      hint: `delete or rename the namespace ${name} if it is a leftover; prbox creates the pull request's namespace itself`,
    },
  );
}

async function waitTerminated(cluster: Cluster, name: string, options: NamespaceWaitOptions): Promise<void> {
  if (!(await waitNamespaceGone(cluster, name, options))) {
    throw new ClusterError(`namespace ${name} is still Terminating after ${formatDuration(options.timeoutMs)}`, {
      kind: "transient",
      hint: "an object in it may have a stuck finalizer; prbox tries again later",
    });
  }
}

/**
 * Creates the namespace, or takes an existing one over: a namespace of this
 * environment is updated, one without prbox labels is adopted (marked so that
 * delete never deletes it), one of another environment is refused. A
 * namespace still terminating from an earlier delete is waited out first.
 */
export async function ensureNamespace(
  cluster: Cluster,
  name: string,
  id: string,
  metadata: NamespaceMetadata,
  options: NamespaceWaitOptions,
): Promise<EnsuredNamespace> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing =
      attempt === 0 && options.listed !== undefined ? options.listed : await readNamespace(cluster, name);
    if (existing === null) {
      if (await createNamespace(cluster, name, metadata)) return { name, created: true, adopted: false };
      continue;
    }
    if (isTerminating(existing)) {
      await waitTerminated(cluster, name, options);
      continue;
    }
    refuseForeign(existing, name, id);
    const adopted = existing.metadata?.labels?.[LABEL_ENVIRONMENT] === undefined || isAdopted(existing);
    if (adopted && options.adopt === false) refuseAdoption(name, id);
    const labels = adopted ? { ...metadata.labels, [LABEL_ADOPTED]: "true" } : metadata.labels;
    await patchNamespaceMetadata(cluster, name, { labels, annotations: metadata.annotations });
    return { name, created: false, adopted };
  }
  throw new ClusterError(`namespace ${name} kept changing while prbox tried to create it`, { kind: "transient" });
}
