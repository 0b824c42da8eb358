import type { KubernetesObject } from "@kubernetes/client-node";
import { silentLogger, type Logger } from "../log.js";
import { call } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { LABEL_ENVIRONMENT, LABEL_MANAGED_BY, MANAGED_BY } from "./keys.js";
import type { KindRef } from "./kinds.js";
import type { ObjectRef } from "./refs.js";

export interface OwnedObject {
  ref: ObjectRef;
  object: KubernetesObject;
}

const PAGE = 500;

export function environmentSelector(id: string): string {
  return `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_ENVIRONMENT}=${id}`;
}

// Pods of a Deployment can carry the environment label through the pod template;
// they belong to their controller, which prbox applied, and are never prbox's to delete.
function controlled(object: KubernetesObject): boolean {
  return object.metadata?.ownerReferences?.some((o) => o.controller === true) ?? false;
}

async function listKind(cluster: Cluster, kind: KindRef, namespace: string | undefined, selector: string): Promise<OwnedObject[]> {
  const owned: OwnedObject[] = [];
  let token: string | undefined;
  do {
    const where = namespace ? ` in ${namespace}` : "";
    const page = await call(`listing ${kind.kind} objects${where}`, () =>
      cluster.objects.list(kind.apiVersion, kind.kind, namespace, undefined, undefined, undefined, undefined, selector, PAGE, token),
    );
    for (const object of page.items) {
      if (controlled(object) || !object.metadata?.name) continue;
      const ns = object.metadata.namespace;
      const ref: ObjectRef = { apiVersion: kind.apiVersion, kind: kind.kind, name: object.metadata.name, ...(ns ? { namespace: ns } : {}) };
      owned.push({ ref, object });
    }
    // Typed lists (V1ConfigMapList) rename `continue` to `_continue`; lists of custom resources keep the JSON name.
    const meta = page.metadata as { _continue?: string; continue?: string } | undefined;
    token = meta?._continue || meta?.continue || undefined;
  } while (token);
  return owned;
}

/**
 * The objects labelled as this environment's, for the kinds it has applied
 * (ApplySet-style: only those kinds are listed, never every resource type of
 * the cluster), in its namespaces; cluster-scoped kinds are listed cluster-wide.
 */
export async function listOwnedObjects(
  cluster: Cluster,
  id: string,
  kinds: readonly KindRef[],
  namespaces: readonly string[],
  log: Logger = silentLogger,
): Promise<OwnedObject[]> {
  const selector = environmentSelector(id);
  const owned: OwnedObject[] = [];
  for (const kind of kinds) {
    const info = await call(`discovering ${kind.apiVersion} ${kind.kind}`, () => cluster.objects.kindInfo(kind.apiVersion, kind.kind));
    if (!info) {
      log.warn({ kind: `${kind.apiVersion}/${kind.kind}` }, "the cluster no longer serves this kind; its objects cannot be listed");
      continue;
    }
    const scopes = info.namespaced ? namespaces : [undefined];
    for (const namespace of scopes) owned.push(...(await listKind(cluster, kind, namespace, selector)));
  }
  return owned;
}
