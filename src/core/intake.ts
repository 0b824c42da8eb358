import type { Policy } from "../config/config.js";
import type { ForgeEvent } from "./events.js";
import type { Logger } from "../log.js";
import { prEnvironmentId } from "../spec/naming.js";
import type { DesiredState } from "./desired.js";
import type { IntakeStore, ReconcileQueue } from "./ports.js";
import { nextDesired } from "./transitions.js";
import type { WantedPolicy } from "./wanted.js";

export interface IntakeDeps {
  store: IntakeStore;
  queue: ReconcileQueue;
  policy: Pick<Policy, "requiredLabel" | "deployForks"> &
    Partial<Pick<Policy, "requiredChecks" | "idleTtlMs">> &
    WantedPolicy;
  log: Logger;
}

export type IntakeResult = "queued" | "unchanged" | "duplicate";

const DELIVERY_TTL_SECONDS = 24 * 3600;

/**
 * The webhook edge's whole job once a delivery is verified and normalised: store the
 * environment's new desired state and enqueue a reconcile (docs/architecture.md §1, step 2). Throws when Redis
 * cannot store it, so the HTTP layer answers 5xx and the forge records a failed delivery.
 */
export async function intake(event: ForgeEvent, deliveryId: string, deps: IntakeDeps): Promise<IntakeResult> {
  if (await deps.store.knowsDelivery(deliveryId)) return "duplicate";
  const result = await storeAndEnqueue(event, deliveryId, deps);
  // Remembered only once stored and queued. Remembering first and forgetting on failure lost
  // deliveries: when Redis died half-way, the forget failed too, and GitHub's redelivery was
  // taken for a duplicate. Two copies of one delivery processed at once are harmless (the
  // transition is idempotent, the queue de-duplicates); not remembering it only costs that.
  await deps.store.rememberDelivery(deliveryId, DELIVERY_TTL_SECONDS).catch((error: unknown) => {
    deps.log.warn(
      { err: error, deliveryId },
      "stored and queued, but could not remember the delivery id; a redelivery would be processed again (harmless)",
    );
  });
  return result;
}

async function storeAndEnqueue(event: ForgeEvent, deliveryId: string, deps: IntakeDeps): Promise<IntakeResult> {
  const envId = prEnvironmentId(event.ref.forge, event.ref.repo, event.ref.pr);
  let changed = false;
  const desired = await deps.store.updateDesired(envId, (current) => {
    const next = nextDesired(current, event, envId, deps.policy);
    changed = next !== current;
    return next;
  });
  if (!changed && !(await unreconciled(desired, deps.store))) return "unchanged";
  await deps.queue.enqueueReconcile(envId);
  deps.log.info({ envId, deliveryId, event: eventName(event) }, "environment queued");
  return "queued";
}

/**
 * Whether the desired state is newer than what the reconciler last did. A delivery can store the
 * state and then fail to enqueue (Redis went away between the two): it answers 5xx, and the
 * forge's redelivery finds the state already changed. Enqueueing again then is what makes the
 * redelivery count; the queue's de-duplication keeps it to one job.
 */
async function unreconciled(desired: DesiredState | null, store: IntakeStore): Promise<boolean> {
  if (!desired) return false;
  const observed = await store.getObserved(desired.envId);
  return observed === null || observed.generation < desired.generation;
}

function eventName(event: ForgeEvent): string {
  if (event.kind === "command") return `/${event.command}`;
  return event.kind === "checks" ? `checks ${event.passed ? "passed" : "failed"}` : event.action;
}
