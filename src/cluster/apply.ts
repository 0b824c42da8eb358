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

export function isJob(item: PreparedObject): boolean {
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
  await deleteAndWait(cluster, [ref], {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    propagation: "Background",
  });
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
]);

/**
 * RoleBindings come after the Roles they name: unless the caller may `bind` the Role, RBAC
 * checks that the caller holds every rule of it, and refuses the binding while the Role does
 * not exist yet. They still come before the workloads that run with them.
 */
const WAVES: readonly ((item: PreparedObject) => boolean)[] = [
  (item) => FIRST_WAVE.has(item.object.kind),
  (item) => item.object.kind === "RoleBinding",
  (item) => !FIRST_WAVE.has(item.object.kind) && item.object.kind !== "RoleBinding",
];

/**
 * Applies the objects wave by wave, each wave in parallel with at most `concurrency` requests at
 * once. Objects `unchanged` says are already as applied are not sent; every object's ref is
 * returned, in wave order.
 */
export async function applyObjects(
  cluster: Cluster,
  items: readonly PreparedObject[],
  options: ApplyOptions,
  unchanged: (item: PreparedObject) => boolean = () => false,
): Promise<ObjectRef[]> {
  const applied: ObjectRef[] = [];
  for (const inWave of WAVES) {
    throwIfAborted(options.signal, "applying objects");
    const wave = items.filter(inWave);
    applied.push(
      ...(await mapLimit(wave, options.concurrency, async (item) =>
        unchanged(item) ? refOf(item.object) : applyObject(cluster, item, options),
      )),
    );
  }
  return applied;
}
