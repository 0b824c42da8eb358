import { silentLogger, type Logger } from "../log.js";
import type { Cluster } from "./client.js";
import type { OwnedObject } from "./inventory.js";
import { mapLimit } from "../limit.js";
import { describeRef, identity, type ObjectRef } from "./refs.js";
import { deleteObject } from "./removal.js";

export interface PruneOptions {
  concurrency?: number;
  log?: Logger;
}

/**
 * The environment's objects that the new render no longer contains. `owned` comes from
 * listOwnedObjects over every kind the environment may have objects of (the recorded kinds
 * united with the new render's: see deploy.ts for how the record stays complete across
 * crashes): only objects labelled with the environment id, none owned by a controller.
 */
export function staleObjects(owned: readonly OwnedObject[], keep: readonly ObjectRef[]): ObjectRef[] {
  const wanted = new Set(keep.map(identity));
  return owned.map((o) => o.ref).filter((ref) => !wanted.has(identity(ref)));
}

/** Deletes the stale objects (Background propagation: their pods go with them). */
export async function pruneObjects(
  cluster: Cluster,
  stale: readonly ObjectRef[],
  options: PruneOptions = {},
): Promise<ObjectRef[]> {
  const log = options.log ?? silentLogger;
  await mapLimit(stale, options.concurrency ?? 8, async (ref) => {
    log.info({ object: describeRef(ref) }, "pruning an object the render no longer contains");
    await deleteObject(cluster, ref, "Background");
  });
  return [...stale];
}
