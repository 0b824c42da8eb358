import { Watch, type KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "../log.js";
import type { Cluster } from "./client.js";
import type { ObjectRef } from "./refs.js";

/** Open watches; `stop` ends them all. */
export interface ObjectWatch {
  stop(): void;
}

/** One watch per kind and namespace: "apps/v1|Deployment|pr-1" → the refs it covers. */
function byCollection(refs: readonly ObjectRef[]): Map<string, ObjectRef[]> {
  const groups = new Map<string, ObjectRef[]>();
  for (const ref of refs) {
    const key = [ref.apiVersion, ref.kind, ref.namespace ?? ""].join("|");
    groups.set(key, [...(groups.get(key) ?? []), ref]);
  }
  return groups;
}

/**
 * Streams every change of `refs` to `onChange` (one watch request per kind and namespace; a
 * single object is watched by name), from their state now: the API server first sends each as it
 * is. Returns at once; the watches open in the background. Best effort: a watch that cannot start
 * or ends early is logged and not reopened, so callers still poll (wait.ts: the watch only ends a
 * poll's pause early). A watch still opening when `stop` is called is closed once it opens.
 */
export function watchObjects(
  cluster: Cluster,
  refs: readonly ObjectRef[],
  onChange: (ref: ObjectRef, object: KubernetesObject) => void,
  log: Logger,
): ObjectWatch {
  const watcher = new Watch(cluster.kubeConfig);
  const open: AbortController[] = [];
  let stopped = false;
  const start = async (group: ObjectRef[]): Promise<void> => {
    const first = group[0] as ObjectRef;
    const names = new Map(group.map((ref) => [ref.name, ref]));
    try {
      const path = await cluster.objects.collectionPath(first.apiVersion, first.kind, first.namespace);
      const query = group.length === 1 ? { fieldSelector: `metadata.name=${first.name}` } : {};
      const controller = await watcher.watch(
        path,
        query,
        (type: string, object: KubernetesObject) => {
          const ref = names.get(object.metadata?.name ?? "");
          if (!stopped && ref && (type === "ADDED" || type === "MODIFIED")) onChange(ref, object);
        },
        (error: unknown) => {
          if (error && !stopped) log.debug({ err: error, kind: first.kind }, "a readiness watch ended; polling on");
        },
      );
      if (stopped) controller.abort();
      else open.push(controller);
    } catch (error) {
      log.debug({ err: error, kind: first.kind }, "could not watch; polling only");
    }
  };
  for (const group of byCollection(refs).values()) void start(group);
  return {
    stop: () => {
      stopped = true;
      for (const controller of open) controller.abort();
    },
  };
}
