import { ClusterError } from "../errors.js";
import {
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  type RenderedEnvironment,
  type RenderedObject,
} from "../model.js";
import { call } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { describeRef, refOf } from "./refs.js";

/** A rendered object made ready to apply: labelled, namespaced as the cluster's discovery says. */
export interface PreparedObject extends RenderedObject {
  namespaced: boolean;
}

type Scopes = Map<string, boolean | undefined>;

/**
 * Asks discovery once per apiVersion+kind whether it is namespaced (undefined: not served). The
 * apiVersions are asked at once; the kinds of one apiVersion one after the other, as its first
 * answer is cached for the rest.
 */
async function discoverScopes(cluster: Cluster, objects: readonly RenderedObject[]): Promise<Scopes> {
  const kinds = new Map<string, Set<string>>();
  for (const { object } of objects)
    kinds.set(object.apiVersion, (kinds.get(object.apiVersion) ?? new Set()).add(object.kind));
  const scopes: Scopes = new Map();
  await Promise.all(
    [...kinds].map(async ([apiVersion, names]) => {
      for (const kind of names) {
        const info = await call(`discovering ${apiVersion} ${kind}`, () => cluster.objects.kindInfo(apiVersion, kind));
        scopes.set(`${apiVersion} ${kind}`, info?.namespaced);
      }
    }),
  );
  return scopes;
}

function problemOf(
  rendered: RenderedEnvironment,
  item: RenderedObject,
  namespaced: boolean | undefined,
): string | undefined {
  const { object } = item;
  const ref = refOf(object);
  if (namespaced === false) delete ref.namespace; // a namespace on a cluster-scoped object means nothing
  const where = `${describeRef(ref)} (box ${item.box}, ${item.source})`;
  if (namespaced === undefined) {
    return `${where}: the cluster does not serve ${object.apiVersion} ${object.kind}; install its CustomResourceDefinition first`;
  }
  if (rendered.environment.mode !== "pr" || rendered.allowedKinds?.includes(object.kind)) return undefined;
  if (!namespaced) return `${where}: cluster-scoped objects are not allowed in a pull request environment`;
  const { namespace: own, extraNamespaces } = rendered.environment;
  const namespace = object.metadata.namespace ?? own;
  if (namespace !== own && !extraNamespaces.includes(namespace)) {
    return `${where}: a pull request environment may only create objects in its namespace ${own}`;
  }
  return undefined;
}

// The renderer labels every object already; prbox sets the labels again because
// prune and delete find objects by them, so they must hold whatever the chart did.
function labelled(item: RenderedObject, rendered: RenderedEnvironment, namespaced: boolean): RenderedObject["object"] {
  const object = structuredClone(item.object);
  object.metadata.labels = {
    ...object.metadata.labels,
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_ENVIRONMENT]: rendered.environment.id,
  };
  if (namespaced) object.metadata.namespace ??= rendered.environment.namespace;
  else delete object.metadata.namespace;
  return object;
}

/**
 * Checks every object against what the cluster serves and, in PR mode,
 * refuses cluster-scoped objects and objects outside the environment's
 * namespaces, unless the operator allowed the kind (as the render step did). This runs
 * before anything is applied, so a refused render changes nothing. The
 * renderer checks well-known kinds; discovery also covers CRDs it cannot know.
 */
export async function prepareObjects(cluster: Cluster, rendered: RenderedEnvironment): Promise<PreparedObject[]> {
  const scopes = await discoverScopes(cluster, rendered.objects);
  const problems: string[] = [];
  const prepared: PreparedObject[] = [];
  for (const item of rendered.objects) {
    const namespaced = scopes.get(`${item.object.apiVersion} ${item.object.kind}`);
    const problem = problemOf(rendered, item, namespaced);
    if (problem !== undefined) problems.push(problem);
    else
      prepared.push({
        ...item,
        object: labelled(item, rendered, namespaced === true),
        namespaced: namespaced === true,
      });
  }
  if (problems.length > 0) {
    throw new ClusterError(`refusing to deploy environment ${rendered.environment.id}: ${problems.join("; ")}`);
  }
  return prepared;
}
