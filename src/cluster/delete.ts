import type { V1Namespace } from "@kubernetes/client-node";
import { ClusterError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { classifyApiError, isNotFound } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { listOwnedObjects } from "./inventory.js";
import { LABEL_ADOPTED, LABEL_ENVIRONMENT, LABEL_FORGE, LABEL_MANAGED_BY, LABEL_PR } from "./keys.js";
import { environmentNamespaces, isAdopted, patchNamespaceMetadata, waitNamespaceGone } from "./namespaces.js";
import { formatDuration, throwIfAborted } from "./poll.js";
import { recordedKinds } from "./records.js";
import type { ObjectRef } from "./refs.js";
import { deleteAndWait } from "./removal.js";

export interface DeleteOptions {
  /** How long to wait for the namespaces (and objects) to be gone. */
  timeoutMs: number;
  signal?: AbortSignal;
  concurrency?: number;
  log?: Logger;
}

export interface DeleteResult {
  /** Namespaces deleted (gone when this returns). */
  namespaces: string[];
  /** Adopted namespaces left standing, emptied of prbox's objects and labels. */
  released: string[];
  /** Objects deleted one by one: those in adopted namespaces and cluster-scoped ones. */
  objects: ObjectRef[];
}

const PRBOX_LABELS = [LABEL_MANAGED_BY, LABEL_ENVIRONMENT, LABEL_ADOPTED, LABEL_FORGE, LABEL_PR];

function nameOf(ns: V1Namespace): string {
  return ns.metadata?.name ?? "";
}

async function deleteNamespace(cluster: Cluster, name: string): Promise<void> {
  try {
    await cluster.core.deleteNamespace({ name, propagationPolicy: "Background" });
  } catch (error) {
    if (!isNotFound(error)) throw classifyApiError(error, `deleting namespace ${name}`);
  }
}

/** An adopted namespace goes back to how prbox found it: without prbox's labels and annotations. */
async function release(cluster: Cluster, ns: V1Namespace): Promise<void> {
  const annotations = Object.keys(ns.metadata?.annotations ?? {}).filter((key) => key.startsWith("prbox.dev/"));
  await patchNamespaceMetadata(cluster, nameOf(ns), {
    labels: Object.fromEntries(PRBOX_LABELS.map((key) => [key, null])),
    annotations: Object.fromEntries(annotations.map((key) => [key, null])),
  });
}

async function waitNamespacesGone(
  cluster: Cluster,
  names: readonly string[],
  deadline: number,
  options: DeleteOptions,
): Promise<void> {
  for (const name of names) {
    const left = Math.max(0, deadline - Date.now());
    if (!(await waitNamespaceGone(cluster, name, { timeoutMs: left, signal: options.signal }))) {
      throw new ClusterError(`namespace ${name} is still Terminating after ${formatDuration(options.timeoutMs)}`, {
        kind: "transient",
        hint: "an object in it may have a stuck finalizer (see the namespace's status.conditions); prbox tries again later",
      });
    }
  }
}

/**
 * Deletes everything of the environment: its namespaces (and so all objects
 * in them), its cluster-scoped objects, and in adopted namespaces only its
 * labelled objects. Waits until they are gone. Deleting an environment that
 * does not exist deletes nothing and is not an error.
 */
export async function deleteEnvironment(cluster: Cluster, id: string, options: DeleteOptions): Promise<DeleteResult> {
  const log = (options.log ?? silentLogger).child({ envId: id });
  const deadline = Date.now() + options.timeoutMs;
  const namespaces = await environmentNamespaces(cluster, id);
  const adopted = namespaces.filter(isAdopted);
  const owned = namespaces.filter((ns) => !isAdopted(ns)).map(nameOf);
  throwIfAborted(options.signal, `deleting environment ${id}`);

  for (const name of owned) await deleteNamespace(cluster, name);
  const objects = await listOwnedObjects(cluster, id, recordedKinds(namespaces), adopted.map(nameOf), log);
  const refs = objects.map((o) => o.ref).filter((ref) => ref.namespace === undefined || !owned.includes(ref.namespace));
  const left = Math.max(0, deadline - Date.now());
  await deleteAndWait(cluster, refs, { timeoutMs: left, signal: options.signal, concurrency: options.concurrency });
  for (const ns of adopted) await release(cluster, ns);
  await waitNamespacesGone(cluster, owned, deadline, options);

  log.info({ namespaces: owned, released: adopted.map(nameOf), objects: refs.length }, "deleted environment");
  return { namespaces: owned, released: adopted.map(nameOf), objects: refs };
}
