import type { KubernetesObject } from "@kubernetes/client-node";
import { silentLogger, type Logger } from "../log.js";
import { apiStatus, call, classifyApiError } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { LABEL_ENVIRONMENT, LABEL_MANAGED_BY, MANAGED_BY } from "./keys.js";
import type { KindRef } from "./kinds.js";
import type { RawList } from "./object-api.js";
import { mapLimit } from "../limit.js";
import type { ObjectRef } from "./refs.js";

export interface OwnedObject {
  ref: ObjectRef;
  object: KubernetesObject;
}

const PAGE = 500;
const LIST_CONCURRENCY = 8;

export function environmentSelector(id: string): string {
  return `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_ENVIRONMENT}=${id}`;
}

// Pods of a Deployment can carry the environment label through the pod template;
// they belong to their controller, which prbox applied, and are never prbox's to delete.
function controlled(object: KubernetesObject): boolean {
  return object.metadata?.ownerReferences?.some((o) => o.controller === true) ?? false;
}

interface Listing {
  kind: KindRef;
  namespace: string | undefined;
}

/**
 * A kind that answers 403 or 404 to a list holds nothing prbox can see or prune: a kind recorded
 * by an older prbox although the API server refused it (or whose CRD went away between discovery
 * and the list). Failing here would fail every later deploy of the environment, so it is skipped.
 */
function unlistable(error: unknown): boolean {
  const status = apiStatus(error);
  return status === 403 || status === 404;
}

async function listKind(
  cluster: Cluster,
  { kind, namespace }: Listing,
  selector: string,
  log: Logger,
): Promise<OwnedObject[]> {
  const owned: OwnedObject[] = [];
  const where = namespace ? ` in ${namespace}` : "";
  let token: string | undefined;
  do {
    const query = { labelSelector: selector, limit: PAGE, continue: token };
    let page: RawList;
    try {
      page = await cluster.objects.listRaw(kind.apiVersion, kind.kind, namespace, query);
    } catch (error) {
      if (!unlistable(error)) throw classifyApiError(error, `listing ${kind.kind} objects${where}`);
      log.warn(
        { kind: `${kind.apiVersion}/${kind.kind}`, namespace, status: apiStatus(error) },
        "cannot list this kind; skipping it",
      );
      return owned;
    }
    for (const item of page.items) {
      if (controlled(item) || !item.metadata?.name) continue;
      // Items of a list carry no apiVersion and kind: the list's own are theirs.
      const object = { ...item, apiVersion: kind.apiVersion, kind: kind.kind };
      const ns = item.metadata.namespace;
      const ref: ObjectRef = {
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        name: item.metadata.name,
        ...(ns ? { namespace: ns } : {}),
      };
      owned.push({ ref, object });
    }
    token = page.metadata?.continue || undefined;
  } while (token);
  return owned;
}

/**
 * The objects labelled as this environment's, for the kinds it has applied
 * (ApplySet-style: only those kinds are listed, never every resource type of
 * the cluster), in its namespaces; cluster-scoped kinds are listed cluster-wide.
 * One list per kind and namespace, several at once; objects come as the API
 * server's JSON.
 */
export async function listOwnedObjects(
  cluster: Cluster,
  id: string,
  kinds: readonly KindRef[],
  namespaces: readonly string[],
  log: Logger = silentLogger,
): Promise<OwnedObject[]> {
  const selector = environmentSelector(id);
  const listings: Listing[] = [];
  for (const kind of kinds) {
    const info = await call(`discovering ${kind.apiVersion} ${kind.kind}`, () =>
      cluster.objects.kindInfo(kind.apiVersion, kind.kind),
    );
    if (!info) {
      log.warn(
        { kind: `${kind.apiVersion}/${kind.kind}` },
        "the cluster no longer serves this kind; its objects cannot be listed",
      );
      continue;
    }
    const scopes = info.namespaced ? namespaces : [undefined];
    for (const namespace of scopes) listings.push({ kind, namespace });
  }
  const pages = await mapLimit(listings, LIST_CONCURRENCY, (listing) => listKind(cluster, listing, selector, log));
  return pages.flat();
}
