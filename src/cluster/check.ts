import type { KubernetesObject } from "@kubernetes/client-node";
import { ClusterError, PrboxError } from "../errors.js";
import { apiStatus, call, classifyApiError } from "./api-errors.js";
import { isJob, type ApplyOptions } from "./apply.js";
import type { Cluster } from "./client.js";
import { policiesOf } from "./hooks.js";
import { mapLimit } from "../limit.js";
import type { PreparedObject } from "./prepare.js";
import { describeRef, groupOf, identity, refOf, type ObjectRef } from "./refs.js";
import { deleteAndWait } from "./removal.js";

/** Objects the deploy deletes and creates again instead of patching (see apply.ts and hooks.ts). */
function recreated(item: PreparedObject): boolean {
  if (item.phase === "main") return isJob(item);
  if (item.phase === "test") return true; // tests.ts deletes every test before running it again
  return policiesOf(item).includes("before-hook-creation");
}

/** The same object as a new one: its name as generateName, so a dry-run create cannot collide with the live one. */
function asNew(item: PreparedObject): KubernetesObject {
  const { name, ...metadata } = item.object.metadata;
  return { ...item.object, metadata: { ...metadata, generateName: name } };
}

/**
 * A server-side dry run passes authentication, authorization, admission and validation like the
 * real request and stores nothing. An object the deploy re-creates (a Job whose pod template
 * changed answers 422 to a patch) is checked as the create the deploy will make.
 */
async function dryRun(cluster: Cluster, item: PreparedObject): Promise<void> {
  try {
    await cluster.objects.apply(item.object, { dryRun: true });
  } catch (error) {
    if (!(apiStatus(error) === 422 && recreated(item))) throw error;
    await cluster.objects.dryRunCreate(asNew(item));
  }
}

const RBAC = "rbac.authorization.k8s.io";

/**
 * The object of the same render that the API server must find stored before it can accept this
 * one: the Role a RoleBinding names (RBAC refuses a binding to a Role it cannot read the rules
 * of, unless the caller may `bind` it) and the ServiceAccount a Pod runs as (admission looks it up).
 */
function dependencyOf(item: PreparedObject): ObjectRef | undefined {
  const { object } = item;
  const namespace = object.metadata.namespace;
  if (object.kind === "RoleBinding" && groupOf(object.apiVersion) === RBAC) {
    const roleRef = object.roleRef as { kind?: string; name?: string } | undefined;
    if (roleRef?.kind === "Role" && roleRef.name)
      return { apiVersion: `${RBAC}/v1`, kind: "Role", namespace, name: roleRef.name };
  }
  if (object.kind === "Pod" && object.apiVersion === "v1") {
    const account = (object.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName;
    if (account) return { apiVersion: "v1", kind: "ServiceAccount", namespace, name: account };
  }
  return undefined;
}

interface Refusal {
  item: PreparedObject;
  error: PrboxError;
}

async function dryRunAll(cluster: Cluster, items: readonly PreparedObject[], concurrency: number): Promise<Refusal[]> {
  const outcomes = await mapLimit(items, concurrency, async (item): Promise<Refusal | undefined> => {
    try {
      await dryRun(cluster, item);
      return undefined;
    } catch (error) {
      return {
        item,
        error: classifyApiError(error, `${describeRef(refOf(item.object))} (box ${item.box}, ${item.source})`),
      };
    }
  });
  return outcomes.filter((o): o is Refusal => o !== undefined);
}

/** One error for every refusal: a busy API server (transient) is retried as such, otherwise the deploy is refused. */
function refusalError(id: string, refusals: readonly Refusal[]): PrboxError {
  const retryable = refusals.find((r) => r.error.kind !== "permanent");
  if (retryable) return retryable.error;
  const list = refusals.map((r) => r.error.message).join("; ");
  const count = refusals.length === 1 ? "1 object" : `${String(refusals.length)} objects`;
  // The objects' own errors first: with one refusal the message starts as an apply error would.
  return new ClusterError(
    `${list} (the API server refused ${count} of environment ${id} in a dry run, so nothing was applied)`,
    {
      hint: refusals[0]?.error.hint ?? "fix the objects named above in the chart, then push again",
      cause: refusals[0]?.error,
    },
  );
}

/**
 * Checks every object about to be applied with a server-side dry run, before anything is applied,
 * so an object the API server refuses means nothing of the render is stored. `live` names the
 * objects that exist already. An object that needs another object of the render stored first (see
 * dependencyOf) is checked once that one is: such dependencies grant nothing on their own (a Role
 * with no binding, a ServiceAccount), are created first and deleted again when the check fails.
 */
export async function checkObjects(
  cluster: Cluster,
  id: string,
  items: readonly PreparedObject[],
  live: ReadonlySet<string>,
  options: ApplyOptions,
): Promise<void> {
  const byIdentity = new Map(items.map((item) => [identity(refOf(item.object)), item]));
  const needed = new Map<string, PreparedObject>();
  const later: PreparedObject[] = [];
  for (const item of items) {
    const dependency = dependencyOf(item);
    const key = dependency && identity(dependency);
    const provider = key === undefined || live.has(key) ? undefined : byIdentity.get(key);
    if (key === undefined || provider === undefined) continue;
    needed.set(key, provider);
    later.push(item);
  }
  const now = items.filter((item) => !later.includes(item));
  const refused = await dryRunAll(cluster, now, options.concurrency);
  if (refused.length > 0) throw refusalError(id, refused);
  if (later.length === 0) return;

  const providers = [...needed.values()];
  options.log.info(
    { objects: providers.map((p) => describeRef(refOf(p.object))) },
    "creating what other objects need before checking them",
  );
  await mapLimit(providers, options.concurrency, (item) =>
    call(describeRef(refOf(item.object)), () => cluster.objects.apply(item.object)),
  );
  const refusedLater = await dryRunAll(cluster, later, options.concurrency);
  if (refusedLater.length === 0) return;
  await deleteAndWait(
    cluster,
    providers.map((p) => refOf(p.object)),
    { timeoutMs: options.timeoutMs, signal: options.signal },
  );
  throw refusalError(id, refusedLater);
}
