import type { Logger } from "../log.js";
import { apiStatus, classifyApiError } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { mapLimit } from "../limit.js";
import { throwIfAborted } from "./poll.js";
import type { PreparedObject } from "./prepare.js";
import { describeRef, groupOf, refOf, type ObjectRef } from "./refs.js";
import { deleteAndWait } from "./removal.js";

export interface ApplyOptions {
  concurrency: number;
  /** Bounds the wait for a replaced Job to disappear. */
  timeoutMs: number;
  signal?: AbortSignal;
  log: Logger;
}

function isJob(item: PreparedObject): boolean {
  return item.object.kind === "Job" && groupOf(item.object.apiVersion) === "batch";
}

async function applyRaw(cluster: Cluster, item: PreparedObject): Promise<void> {
  await cluster.objects.apply(item.object);
}

/**
 * A Job's pod template is immutable, so a redeploy that changes it (a new
 * image tag, the usual case) answers 422. kubectl users delete and re-create;
 * prbox does the same for Jobs of the main phase. A Job that is really
 * invalid answers 422 again on the fresh create and fails the deploy there.
 */
async function replaceJob(cluster: Cluster, item: PreparedObject, options: ApplyOptions): Promise<void> {
  const ref = refOf(item.object);
  options.log.info({ object: describeRef(ref) }, "replacing a Job whose immutable fields changed");
  await deleteAndWait(cluster, [ref], { timeoutMs: options.timeoutMs, signal: options.signal, propagation: "Background" });
  await applyRaw(cluster, item);
}

/** Server-side applies one object; errors name it and carry the API server's reason. */
export async function applyObject(cluster: Cluster, item: PreparedObject, options: ApplyOptions): Promise<ObjectRef> {
  const ref = refOf(item.object);
  try {
    await applyRaw(cluster, item);
  } catch (error) {
    if (!(apiStatus(error) === 422 && isJob(item) && item.phase === "main")) throw applyError(error, item);
    try {
      await replaceJob(cluster, item, options);
    } catch (retryError) {
      throw applyError(retryError, item);
    }
  }
  return ref;
}

function applyError(error: unknown, item: PreparedObject): Error {
  return classifyApiError(error, `${describeRef(refOf(item.object))} (box ${item.box}, ${item.source})`);
}

/**
 * Kinds that shape what other objects may do (quotas, limits, identities, configuration) go in a
 * first wave, as in Helm's install order: a Deployment applied in the same instant as the
 * ResourceQuota it is subject to would otherwise create its pods before the quota exists.
 */
const FIRST_WAVE = new Set([
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "PodDisruptionBudget",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "PersistentVolumeClaim",
  "Role",
  "RoleBinding",
]);

/** Applies the objects in two waves, each in parallel with at most `concurrency` requests at once. */
export async function applyObjects(
  cluster: Cluster,
  items: readonly PreparedObject[],
  options: ApplyOptions,
): Promise<ObjectRef[]> {
  throwIfAborted(options.signal, "applying objects");
  const first = items.filter((item) => FIRST_WAVE.has(item.object.kind));
  const rest = items.filter((item) => !FIRST_WAVE.has(item.object.kind));
  const applied = await mapLimit(first, options.concurrency, (item) => applyObject(cluster, item, options));
  throwIfAborted(options.signal, "applying objects");
  return [...applied, ...(await mapLimit(rest, options.concurrency, (item) => applyObject(cluster, item, options)))];
}
