import { isLive, type DesiredState, type ObservedState } from "./desired.js";
export { isLive } from "./desired.js";
import { NO_GROUP, sameMembers, type Grouping } from "./groups.js";

/**
 * What a reconcile does for one environment, decided without touching anything (ADR 18):
 * - gone: no desired state (forgotten by the sweep); nothing to do;
 * - up-to-date: the cluster and the PR already show what is wanted;
 * - hold: do not deploy, and tell the PR why (a gate, or the cap on live environments);
 * - tear-down: delete the environment and report it;
 * - deploy: deploy `desired.sha`; `fresh` rebuilds from scratch (a /reload); `closed`: the PR
 *   was closed while PRs of its group are open: its repository at the default branch, for them.
 *   A sleeping environment is woken first (ADR 28), so a wake is a deploy that reports "ready" again;
 * - sleep: scale the live environment to zero and point its Ingresses at the waking page;
 * - join: the PR is part of another PR's environment (`host`, src/core/groups.ts): its own, if
 *   any, goes, and the host redeploys with its head.
 */
export type Action =
  | { kind: "gone" }
  | { kind: "up-to-date" }
  | { kind: "hold"; reason: string }
  | { kind: "tear-down" }
  | { kind: "deploy"; fresh: boolean; closed?: true }
  | { kind: "sleep" }
  | { kind: "join"; host: string };

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

/**
 * The one decision of a reconcile: a pure function of what is wanted, what was done, the cap and
 * the PR's place in its branch's group.
 */
export function plan(
  desired: DesiredState | null,
  observed: ObservedState | null,
  capacity: Capacity | null,
  group: Grouping = NO_GROUP,
): Action {
  if (!desired) return { kind: "gone" };
  if (desired.action === "destroy") return closing(desired, observed, group);
  if (desired.action === "wait") return hold(desired, observed, desired.waitReason ?? "waiting");
  if (group.host !== null) return join(desired, observed, group.host);
  const sleep = sleepAction(desired, observed);
  if (sleep) return sleep;
  if (upToDate(desired, observed, group)) return { kind: "up-to-date" };
  // Environments already live always redeploy: the claim of a live one is always granted.
  if (capacity && !capacity.claimed) return hold(desired, observed, capReason(capacity));
  return { kind: "deploy", fresh: desired.reloadRequest > (observed?.reloadRequest ?? 0) };
}

/**
 * A closed PR's preview is deleted, unless PRs of its group are still open: it goes on for them
 * (redeployed when they change), and is deleted when the last of them leaves.
 */
function closing(desired: DesiredState, observed: ObservedState | null, group: Grouping): Action {
  if (desired.closed && group.members.length > 0) {
    const settled = upToDate(desired, observed, group) && observed?.generation === desired.generation;
    return settled ? { kind: "up-to-date" } : { kind: "deploy", fresh: false, closed: true };
  }
  return observed?.status === "destroyed" ? { kind: "up-to-date" } : { kind: "tear-down" };
}

/**
 * Asleep as wanted, or about to be: only a live environment sleeps (the sweep asks it of a ready
 * one). A new commit that is no activity (required checks) leaves it asleep; its wake deploys it.
 */
function sleepAction(desired: DesiredState, observed: ObservedState | null): Action | null {
  if (!desired.sleepSince || !isLive(observed)) return null;
  return observed?.status === "sleeping" ? { kind: "up-to-date" } : { kind: "sleep" };
}

function upToDate(desired: DesiredState, observed: ObservedState | null, group: Grouping): boolean {
  return (
    observed !== null &&
    observed.sha === desired.sha &&
    observed.reloadRequest >= desired.reloadRequest &&
    (observed.status === "ready" || observed.status === "failed") &&
    sameMembers(observed.members ?? [], group.members)
  );
}

/** A member joins its host once per change of its PR (the host redeploys with its head). */
function join(desired: DesiredState, observed: ObservedState | null, host: string): Action {
  const joined = observed?.status === "grouped" && observed.host === host && observed.generation === desired.generation;
  return joined ? { kind: "up-to-date" } : { kind: "join", host };
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
