import type { DesiredState, ObservedState } from "./desired.js";

/**
 * What a reconcile does for one environment, decided without touching anything (ADR 18):
 * - gone: no desired state (forgotten by the sweep); nothing to do;
 * - up-to-date: the cluster and the PR already show what is wanted;
 * - hold: do not deploy, and tell the PR why (a gate, or the cap on live environments);
 * - tear-down: delete the environment and report it;
 * - deploy: deploy `desired.sha`; `fresh` rebuilds from scratch (a /reload). A sleeping
 *   environment is woken first (ADR 28), so a wake is a deploy that reports "ready" again;
 * - sleep: scale the live environment to zero and point its Ingresses at the waking page.
 */
export type Action =
  | { kind: "gone" }
  | { kind: "up-to-date" }
  | { kind: "hold"; reason: string }
  | { kind: "tear-down" }
  | { kind: "deploy"; fresh: boolean }
  | { kind: "sleep" };

/**
 * The cap on live environments as the store's atomic claim answered it (src/queue/store.ts
 * claimSlot); null without a cap (PRBOX_MAX_ENVIRONMENTS 0) or when nothing is to be deployed.
 */
export interface Capacity {
  max: number;
  /** Environments holding a slot, this one included when `claimed`. */
  live: number;
  /** Whether this environment holds a slot. */
  claimed: boolean;
}

/** Whether an environment is deployed (ready, or failed after deploying): it counts toward the cap. */
export function isLive(observed: ObservedState | null): boolean {
  return observed !== null && observed.sha !== null && observed.status !== "destroyed";
}

/** The one decision of a reconcile: a pure function of what is wanted, what was done and the cap. */
export function plan(desired: DesiredState | null, observed: ObservedState | null, capacity: Capacity | null): Action {
  if (!desired) return { kind: "gone" };
  if (desired.action === "destroy")
    return observed?.status === "destroyed" ? { kind: "up-to-date" } : { kind: "tear-down" };
  if (desired.action === "wait") return hold(desired, observed, desired.waitReason ?? "waiting");
  const sleep = sleepAction(desired, observed);
  if (sleep) return sleep;
  if (upToDate(desired, observed)) return { kind: "up-to-date" };
  // Environments already live always redeploy: the claim of a live one is always granted.
  if (capacity && !capacity.claimed) return hold(desired, observed, capReason(capacity));
  return { kind: "deploy", fresh: desired.reloadRequest > (observed?.reloadRequest ?? 0) };
}

/**
 * Asleep as wanted, or about to be: only a live environment sleeps (the sweep asks it of a ready
 * one). A new commit that is no activity (required checks) leaves it asleep; its wake deploys it.
 */
function sleepAction(desired: DesiredState, observed: ObservedState | null): Action | null {
  if (!desired.sleepSince || !isLive(observed)) return null;
  return observed?.status === "sleeping" ? { kind: "up-to-date" } : { kind: "sleep" };
}

function upToDate(desired: DesiredState, observed: ObservedState | null): boolean {
  return (
    observed !== null &&
    observed.sha === desired.sha &&
    observed.reloadRequest >= desired.reloadRequest &&
    (observed.status === "ready" || observed.status === "failed")
  );
}

/** A reason is reported once: `observed.error` keeps the reason shown for this generation. */
function hold(desired: DesiredState, observed: ObservedState | null, reason: string): Action {
  const reported =
    observed?.status === "waiting" && observed.generation === desired.generation && observed.error === reason;
  return reported ? { kind: "up-to-date" } : { kind: "hold", reason };
}

function capReason(capacity: Capacity): string {
  return `${capacity.live} preview environments are running and the limit is ${capacity.max}; this one deploys as soon as another is deleted`;
}
