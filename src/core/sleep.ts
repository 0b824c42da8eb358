import type { WakeTarget } from "../cluster/index.js";
import type { Policy } from "../config/config.js";
import { PrboxError } from "../errors.js";
import type { Logger } from "../log.js";
import type { IntakeStore, ReconcileQueue } from "./ports.js";

// Sleep and wake (ADR 28): the sweep asks for sleep (sweep.ts, expiry.ts sleepDue), the reconciler
// puts the environment to sleep (reconcile.ts), and an event or a visit to the waking page wakes it.

/** PRBOX_WAKE_ADDRESS as host and port; the setting's check (config.ts) makes it one. */
export function wakeTarget(policy: Pick<Policy, "wakeAddress">): WakeTarget {
  const match = /^(.+):(\d+)$/.exec(policy.wakeAddress ?? "");
  if (!match?.[1] || !match[2])
    throw new PrboxError("PRBOX_WAKE_ADDRESS is not set: prbox cannot put previews to sleep without it", {
      kind: "permanent",
    });
  return { host: match[1], port: Number(match[2]) };
}

export interface VisitDeps {
  store: Pick<IntakeStore, "updateDesired">;
  queue: ReconcileQueue;
  log: Logger;
  now?: () => Date;
}

/**
 * A request reached the waking page of sleeping environment `envId` (server/waking-route.ts found
 * it by the request's host): wakes it, if it still sleeps, through the same path as an event (desired state, then the queue, which runs one job per
 * environment however many visits come). The visit is activity (`wokeAt`), but no forge event:
 * `eventAt`, which orders deliveries, stays. Returns whether a wake was queued by this visit.
 */
export async function wakeOnVisit(envId: string, deps: VisitDeps): Promise<boolean> {
  const at = (deps.now ?? (() => new Date()))().toISOString();
  let woke = false;
  await deps.store.updateDesired(envId, (current) => {
    woke = Boolean(current?.sleepSince);
    return current && woke ? { ...current, sleepSince: null, wokeAt: at } : current;
  });
  if (!woke) return false;
  await deps.queue.enqueueReconcile(envId);
  deps.log.info({ envId }, "a visit woke the environment");
  return true;
}
