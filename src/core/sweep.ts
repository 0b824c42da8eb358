import type { Policy } from "../config/config.js";
import type { ForgeRegistry } from "./forge.js";
import type { Logger } from "../log.js";
import type { DesiredState, ObservedState } from "./desired.js";
import type { ReconcileQueue } from "./ports.js";

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
  policy: Pick<Policy, "idleTtlMs">;
  log: Logger;
  now?: () => Date;
}

export interface SweepResult {
  checked: number;
  /** Environments whose PR the forge says is closed (a missed webhook). */
  closed: string[];
  /** Environments idle longer than the TTL. */
  idle: string[];
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
  const result: SweepResult = { checked: 0, closed: [], idle: [], unknown: [], forgotten: [] };
  for (const desired of await deps.store.listDesired()) {
    result.checked++;
    if (desired.action === "destroy") {
      if (await forgettable(deps, desired, now)) result.forgotten.push(desired.envId);
      continue;
    }
    const verdict = await verdictFor(deps, desired, now);
    if (verdict === "unknown") result.unknown.push(desired.envId);
    if (verdict === "closed" || verdict === "idle") {
      await destroy(
        deps,
        desired.envId,
        verdict === "closed"
          ? { closed: true, reason: "the pull request was closed" }
          : { closed: false, reason: `no activity for ${hours(deps.policy.idleTtlMs)}` },
      );
      result[verdict].push(desired.envId);
    }
  }
  deps.log.info(
    {
      ...result,
      closed: result.closed.length,
      idle: result.idle.length,
      unknown: result.unknown.length,
      forgotten: result.forgotten.length,
    },
    "sweep done",
  );
  return result;
}

async function verdictFor(
  deps: SweepDeps,
  desired: DesiredState,
  now: number,
): Promise<"open" | "closed" | "idle" | "unknown"> {
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
  const idleFor = now - Date.parse(desired.eventAt);
  return deps.policy.idleTtlMs > 0 && idleFor > deps.policy.idleTtlMs ? "idle" : "open";
}

async function destroy(deps: SweepDeps, envId: string, why: { closed: boolean; reason: string }): Promise<void> {
  await deps.store.updateDesired(envId, (current) =>
    current && current.action !== "destroy"
      ? { ...current, action: "destroy", closed: why.closed || current.closed, waitReason: why.reason }
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
