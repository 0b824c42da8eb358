import type { KubeObject } from "../model.js";

/** Enough to find one object again: what prbox reports as applied, pruned or owned. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  name: string;
}

export function refOf(object: KubeObject): ObjectRef {
  const { apiVersion, kind } = object;
  const { name, namespace } = object.metadata;
  return namespace === undefined ? { apiVersion, kind, name } : { apiVersion, kind, namespace, name };
}

/** "apps" for apps/v1, "" for the core group. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? "" : apiVersion.slice(0, slash);
}

/**
 * Identity of an object across deploys. The version is left out on purpose:
 * the same Deployment is served as apps/v1 and any later version, and prune
 * must not mistake a version bump for a new object.
 */
export function identity(ref: ObjectRef): string {
  return [groupOf(ref.apiVersion), ref.kind, ref.namespace ?? "", ref.name].join("|");
}

/** "Deployment web in pr-1", the way every message names an object. */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.name} in ${ref.namespace}` : `${ref.kind} ${ref.name}`;
}
