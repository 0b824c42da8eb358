import { ClusterError } from "../errors.js";
import { classifyApiError, isNotFound } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { mapLimit } from "../limit.js";
import { formatDuration, pollUntil } from "./poll.js";
import { describeRef, type ObjectRef } from "./refs.js";

export type Propagation = "Background" | "Foreground";

function header(ref: ObjectRef): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } };
}

/** Deletes one object; true when it existed. Already gone is not an error: delete is a goal, not an event. */
export async function deleteObject(
  cluster: Cluster,
  ref: ObjectRef,
  propagation: Propagation = "Background",
): Promise<boolean> {
  try {
    await cluster.objects.delete(header(ref), undefined, undefined, undefined, undefined, propagation);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw classifyApiError(error, `deleting ${describeRef(ref)}`);
  }
}

export async function exists(cluster: Cluster, ref: ObjectRef): Promise<boolean> {
  try {
    await cluster.objects.read(header(ref));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw classifyApiError(error, `reading ${describeRef(ref)}`);
  }
}

export interface GoneOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  concurrency?: number;
}

/**
 * Waits until none of the objects exists any more. Deletion is asynchronous
 * (finalizers, foreground propagation), and re-creating an object that is
 * still being deleted would race with its removal.
 */
export async function waitGone(cluster: Cluster, refs: readonly ObjectRef[], options: GoneOptions): Promise<void> {
  let left = [...refs];
  const gone = await pollUntil(
    async () => {
      const present = await mapLimit(left, options.concurrency ?? 8, (ref) => exists(cluster, ref));
      left = left.filter((_, i) => present[i]);
      return left.length === 0;
    },
    { timeoutMs: options.timeoutMs, signal: options.signal, what: "waiting for deleted objects to disappear" },
  );
  if (!gone) {
    const names = left.map(describeRef).join(", ");
    throw new ClusterError(`${names} still being deleted after ${formatDuration(options.timeoutMs)}`, {
      kind: "transient",
      hint: "an object's finalizer may be stuck; check its metadata.finalizers",
    });
  }
}

/** Deletes the objects (bounded concurrency) and waits until they are gone. */
export async function deleteAndWait(
  cluster: Cluster,
  refs: readonly ObjectRef[],
  options: GoneOptions & { propagation?: Propagation },
): Promise<void> {
  await mapLimit(refs, options.concurrency ?? 8, (ref) => deleteObject(cluster, ref, options.propagation));
  await waitGone(cluster, refs, options);
}
