import type { Policy } from "../config/config.js";
import type { ForgeRegistry } from "./forge.js";
import type { Logger } from "../log.js";
import type { DesiredState, ObservedState } from "./desired.js";
import type { ReconcileQueue } from "./ports.js";
import { expiryStep, sleepDue, warningText } from "./expiry.js";
import { groupActivity } from "./groups.js";
import { isLive } from "./plan.js";
import { replyOn } from "./sticky-comment.js";

/** What the sweep needs from the state store (RedisStateStore satisfies it). */
export interface SweepStore {
  listDesired(): Promise<DesiredState[]>;
  getObserved(envId: string): Promise<ObservedState | null>;
  updateDesired(envId: string, fn: (current: DesiredState | null) => DesiredState | null): Promise<DesiredState | null>;
  forget(envId: string, options?: { ifGeneration?: number }): Promise<boolean>;
}

export interface SweepDeps {
  store: SweepStore;
  queue: ReconcileQueue;
  forges: ForgeRegistry;
  policy: Pick<Policy, "idleTtlMs"> & Partial<Pick<Policy, "expiryWarningMs" | "sleepAfterMs">>;
  log: Logger;
  now?: () => Date;
}

export interface SweepResult {
  checked: number;
  /** Environments whose PR the forge says is closed (a missed webhook). */
  closed: string[];
  /** Environments idle longer than the TTL. */
  idle: string[];
  /** Environments whose PR was warned that the TTL will delete them. */
  warned: string[];
  /** Environments idle longer than PRBOX_SLEEP_AFTER, put to sleep (ADR 28). */
  slept: string[];
  /** PRs the forge could not answer for: left alone, tried again next time. */
  unknown: string[];
  /** Records of environments deleted long ago, dropped. */
  forgotten: string[];
}

/** How long the record of a deleted environment is kept, so late deliveries cannot resurrect it. */
export const FORGET_AFTER_MS = 7 * 24 * 3600_000;

/**
 * The periodic sweep (ADR 8): deletes environments whose PR is closed (a webhook was missed)
 * or that have been idle longer than the TTL. It deletes only on a definite answer from the
 * forge: when the API fails, the environment stays and is checked again next time.
 */
export async function sweep(deps: SweepDeps): Promise<SweepResult> {
  const now = (deps.now ?? (() => new Date()))().getTime();
  const result: SweepResult = {
    checked: 0,
    closed: [],
    idle: [],
    warned: [],
    slept: [],
    unknown: [],
    forgotten: [],
  };
  const all = await deps.store.listDesired();
  const byId = new Map(all.map((d) => [d.envId, d]));
  for (const desired of all) {
    result.checked++;
    if (desired.action === "destroy") {
      if (await forgettable(deps, desired, now)) result.forgotten.push(desired.envId);
      continue;
    }
    const observed = await deps.store.getObserved(desired.envId);
    // A group of PRs sharing a preview (ADR 29) is idle when all of them are.
    const seen: Seen = { observed, lastActive: groupActivity(desired, observed, byId) };
    const verdict = await verdictFor(deps, desired, now, seen.lastActive);
    if (verdict === "unknown") result.unknown.push(desired.envId);
    if (verdict === "warn" && (await warn(deps, desired, now, seen))) result.warned.push(desired.envId);
    if ((verdict === "open" || verdict === "warn") && (await putToSleep(deps, desired, now, seen)))
      result.slept.push(desired.envId);
    if (verdict === "closed" || verdict === "idle") {
      await destroy(
        deps,
        desired.envId,
        verdict === "closed"
          ? { closed: true, reason: "the pull request was closed" }
          : {
              closed: false,
              reason: `no activity for ${hours(deps.policy.idleTtlMs)}`,
            },
      );
      result[verdict].push(desired.envId);
    }
  }
  deps.log.info(
    {
      ...result,
      closed: result.closed.length,
      idle: result.idle.length,
      warned: result.warned.length,
      slept: result.slept.length,
      unknown: result.unknown.length,
      forgotten: result.forgotten.length,
    },
    "sweep done",
  );
  return result;
}

/** What the sweep read of one environment: what was last done, and when its group was last active (null: a member's, which never expires or sleeps by itself). */
interface Seen {
  observed: ObservedState | null;
  lastActive: string | null;
}

/** `desired` as active as its group: its last event moved to the group's last, when that is later. */
function asActiveAs(desired: DesiredState, lastActive: string): DesiredState {
  return lastActive > desired.eventAt ? { ...desired, eventAt: lastActive } : desired;
}

async function verdictFor(
  deps: SweepDeps,
  desired: DesiredState,
  now: number,
  lastActive: string | null,
): Promise<"open" | "closed" | "idle" | "warn" | "unknown"> {
  try {
    const forge = await deps.forges.forgeFor(desired.ref);
    const pr = await forge.pullRequest(desired.ref);
    if (pr.state === "closed") return "closed";
  } catch (error) {
    deps.log.warn(
      { envId: desired.envId, err: error },
      "sweep: the forge could not say whether the pull request is open; keeping the environment",
    );
    return "unknown";
  }
  if (lastActive === null) return "open";
  const step = expiryStep(asActiveAs(desired, lastActive), expiryPolicy(deps), now);
  return step.action === "delete" ? "idle" : step.action === "warn" ? "warn" : "open";
}

/**
 * Warns the PR once per deadline that the idle TTL will delete its live preview: remembered first (a
 * warning must not repeat every sweep if the reply fails), then a reply, which notifies the
 * people on the PR. Returns whether it was sent.
 */
async function warn(deps: SweepDeps, desired: DesiredState, now: number, seen: Seen): Promise<boolean> {
  const { lastActive } = seen;
  // Only a preview that exists is worth a warning: a PR held without one (a draft) just expires.
  if (lastActive === null || !isLive(seen.observed)) return false;
  const policy = expiryPolicy(deps);
  let at: number | null = null;
  await deps.store.updateDesired(desired.envId, (current) => {
    const step = current ? expiryStep(asActiveAs(current, lastActive), policy, now) : null;
    if (!current || step?.action !== "warn") return current;
    at = step.at;
    return { ...current, warnedFor: new Date(step.at).toISOString() };
  });
  if (at === null) return false;
  try {
    const forge = await deps.forges.forgeFor(desired.ref);
    await replyOn(forge, desired.ref, warningText(at, now, deps.policy.idleTtlMs));
    return true;
  } catch (error) {
    deps.log.warn(
      { envId: desired.envId, err: error },
      "sweep: could not warn the pull request of its preview's expiry",
    );
    return false;
  }
}

/**
 * Asks for sleep (ADR 28) when the preview is live, up to date and idle for PRBOX_SLEEP_AFTER:
 * `sleepSince` in the desired state, then a reconcile does it. Returns whether it was asked.
 */
async function putToSleep(deps: SweepDeps, desired: DesiredState, now: number, seen: Seen): Promise<boolean> {
  const after = deps.policy.sleepAfterMs ?? 0;
  const { observed, lastActive } = seen;
  // A member of a group sleeps with its host's preview (it has none of its own).
  if (after <= 0 || lastActive === null) return false;
  if (!sleepDue(asActiveAs(desired, lastActive), observed, after, now)) return false;
  let asked = false;
  await deps.store.updateDesired(desired.envId, (current) => {
    asked = current !== null && sleepDue(asActiveAs(current, lastActive), observed, after, now);
    return current && asked ? { ...current, sleepSince: new Date(now).toISOString() } : current;
  });
  if (asked) await deps.queue.enqueueReconcile(desired.envId);
  return asked;
}

function expiryPolicy(deps: SweepDeps): { idleTtlMs: number; expiryWarningMs: number } {
  return { idleTtlMs: deps.policy.idleTtlMs, expiryWarningMs: deps.policy.expiryWarningMs ?? 0 };
}

async function destroy(deps: SweepDeps, envId: string, why: { closed: boolean; reason: string }): Promise<void> {
  await deps.store.updateDesired(envId, (current) =>
    current && current.action !== "destroy"
      ? {
          ...current,
          action: "destroy",
          closed: why.closed || current.closed,
          waitReason: why.reason,
          expired: !why.closed,
        }
      : current,
  );
  await deps.queue.enqueueReconcile(envId);
}

async function forgettable(deps: SweepDeps, desired: DesiredState, now: number): Promise<boolean> {
  const observed = await deps.store.getObserved(desired.envId);
  if (observed?.status !== "destroyed" || now - Date.parse(observed.at) < FORGET_AFTER_MS) return false;
  return deps.store.forget(desired.envId, { ifGeneration: desired.generation });
}

function hours(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.round(ms / 60_000)}m`;
}
