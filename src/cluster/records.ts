import type { V1Namespace } from "@kubernetes/client-node";
import { call } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { listOwnedObjects } from "./inventory.js";
import { ANNOTATION_KINDS, ANNOTATION_LAST_ERROR, ANNOTATION_STATUS, LABEL_MANAGED_BY, MANAGED_BY } from "./keys.js";
import { parseKinds, unionKinds, type KindRef } from "./kinds.js";
import { environmentNamespaces, patchNamespaceMetadata } from "./namespaces.js";
import { hasReadiness, readinessOf, type WorkloadLike } from "./readiness.js";
import { readRecord, roleOf, truncateError, type EnvironmentRecord, type EnvironmentStatus } from "./record.js";
import type { ObjectRef } from "./refs.js";

/** One word a table can show: workloads say how their rollout is going, everything else just exists. */
export type ObjectReadiness = "ready" | "progressing" | "failed" | "present";

export interface DescribedObject extends ObjectRef {
  readiness: ObjectReadiness;
}

export interface EnvironmentDescription {
  record: EnvironmentRecord;
  objects: DescribedObject[];
}

/** Writes the deploy status (and the error, or clears it) on the primary namespace. */
export async function setStatus(
  cluster: Cluster,
  namespace: string,
  status: EnvironmentStatus,
  error?: string,
): Promise<void> {
  const annotations = {
    [ANNOTATION_STATUS]: status,
    [ANNOTATION_LAST_ERROR]: error === undefined ? null : truncateError(error),
  };
  await patchNamespaceMetadata(cluster, namespace, { annotations });
}

/** Every kind any of the environment's namespaces records (the primary's list, in practice). */
export function recordedKinds(namespaces: readonly V1Namespace[]): KindRef[] {
  return namespaces.reduce<KindRef[]>(
    (all, ns) => unionKinds(all, parseKinds(ns.metadata?.annotations?.[ANNOTATION_KINDS])),
    [],
  );
}

function recordsFrom(namespaces: readonly V1Namespace[]): EnvironmentRecord[] {
  const extras = new Map<string, string[]>();
  for (const ns of namespaces) {
    const id = readRecord(ns)?.id;
    if (id !== undefined && roleOf(ns) === "extra")
      extras.set(id, [...(extras.get(id) ?? []), ns.metadata?.name ?? ""]);
  }
  return namespaces
    .filter((ns) => roleOf(ns) === "primary")
    .map((ns) => readRecord(ns))
    .filter((r): r is EnvironmentRecord => r !== null)
    .map((r) => ({ ...r, extraNamespaces: (extras.get(r.id) ?? []).sort() }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Every prbox environment of the cluster, from its namespaces alone: a restarted bot needs nothing else. */
export async function listEnvironments(cluster: Cluster): Promise<EnvironmentRecord[]> {
  const labelSelector = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;
  const list = await call("listing prbox environments", () => cluster.core.listNamespace({ labelSelector }));
  return recordsFrom(list.items);
}

function readinessWord(ref: ObjectRef, object: WorkloadLike): ObjectReadiness {
  if (!hasReadiness(ref)) return "present";
  const state = readinessOf(ref, object).state;
  return state === "pending" ? "progressing" : state;
}

/** The environment's record and the objects it owns, or null when there is no such environment. */
export async function describeEnvironment(cluster: Cluster, id: string): Promise<EnvironmentDescription | null> {
  const namespaces = await environmentNamespaces(cluster, id);
  const record = recordsFrom(namespaces)[0];
  if (!record) return null;
  const names = namespaces.map((ns) => ns.metadata?.name ?? "").filter((n) => n !== "");
  const owned = await listOwnedObjects(cluster, id, recordedKinds(namespaces), names);
  const objects = owned
    .map(({ ref, object }) => ({ ...ref, readiness: readinessWord(ref, object as WorkloadLike) }))
    .sort((a, b) =>
      `${a.namespace ?? ""}/${a.kind}/${a.name}`.localeCompare(`${b.namespace ?? ""}/${b.kind}/${b.name}`),
    );
  return { record, objects };
}
