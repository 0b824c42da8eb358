import { silentLogger, type Logger } from "../log.js";
import type { Cluster } from "./client.js";
import { listOwnedObjects } from "./inventory.js";
import type { KindRef } from "./kinds.js";
import { mapLimit } from "../limit.js";
import { describeRef, identity, type ObjectRef } from "./refs.js";
import { deleteObject } from "./removal.js";

export interface PruneOptions {
  /** Every kind the environment may have objects of: the recorded kinds united with the new render's. */
  kinds: readonly KindRef[];
  namespaces: readonly string[];
  concurrency?: number;
  log?: Logger;
}

/**
 * Deletes the environment's objects that the new render no longer contains.
 * Only the recorded kinds are listed (see deploy.ts for how the record stays
 * complete across crashes), only objects labelled with the environment id
 * are considered, and objects owned by a controller are left to it.
 */
export async function pruneEnvironment(
  cluster: Cluster,
  id: string,
  keep: readonly ObjectRef[],
  options: PruneOptions,
): Promise<ObjectRef[]> {
  const log = options.log ?? silentLogger;
  const wanted = new Set(keep.map(identity));
  const owned = await listOwnedObjects(cluster, id, options.kinds, options.namespaces, log);
  const stale = owned.map((o) => o.ref).filter((ref) => !wanted.has(identity(ref)));
  await mapLimit(stale, options.concurrency ?? 8, async (ref) => {
    log.info({ object: describeRef(ref) }, "pruning an object the render no longer contains");
    await deleteObject(cluster, ref, "Background");
  });
  return stale;
}
