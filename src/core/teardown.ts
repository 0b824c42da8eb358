import { deleteEnvironment } from "../cluster/index.js";
import type { DesiredState, ObservedState } from "./desired.js";
import { dissolveGroup, leaveGroup } from "./group-steps.js";
import { isLive } from "./plan.js";
import { observe, report, type ReconcileDeps, type ReconcileOutcome, type Step } from "./reconcile-step.js";

// A reconcile's tear-down (plan.ts "tear-down"): the environment deleted, its PR and its group told.

/** After a deletion, environments waiting for capacity get their turn. */
export async function wakeWaiting(deps: ReconcileDeps): Promise<void> {
  if (!deps.queue || deps.policy.maxEnvironments <= 0) return;
  for (const desired of await deps.store.listDesired()) {
    if (desired.action !== "deploy") continue;
    if ((await deps.store.getObserved(desired.envId))?.status === "waiting")
      await deps.queue.enqueueReconcile(desired.envId);
  }
}

export async function teardown(
  desired: DesiredState,
  observed: ObservedState | null,
  step: Step,
): Promise<ReconcileOutcome> {
  if (observed?.status === "grouped") return leave(desired, observed, step);
  // The members of a deleted preview hear of it after its own PR (a failure leaves them in it).
  step.members = [];
  const cluster = await step.deps.cluster();
  const result = await deleteEnvironment(cluster, desired.envId, {
    timeoutMs: step.deps.policy.deployTimeoutMs,
    signal: step.run.signal,
    log: step.log,
  });
  step.log.info({ namespaces: result.namespaces }, "environment deleted");
  const deletedNothing = result.namespaces.length + result.released.length + result.objects.length === 0;
  // A PR prbox never acted on (closed before it was seen) gets no comment: just the record.
  const nothingThere = observed === null && deletedNothing;
  // An open PR that a rule keeps without a preview (the no-preview label) and that had none is told why, not "deleted".
  const reason = deletedNothing && !isLive(observed) && !desired.closed ? desired.waitReason : null;
  if (reason !== null) await report(desired, step, { state: "waiting", sha: desired.sha, reason });
  else if (!nothingThere) await reportTeardown(desired, observed, step);
  await step.deps.store.setObserved(
    observe(desired, step, { sha: null, status: "destroyed", error: null, reloadRequest: desired.reloadRequest }),
  );
  await step.deps.store.releaseSlot(desired.envId);
  await dissolveGroup(desired, observed?.members ?? [], step.candidates, { ...step.deps, log: step.log });
  await wakeWaiting(step.deps);
  return "destroyed";
}

/** A member's PR closed (or /destroy): it owns nothing on the cluster; its host redeploys without it. */
async function leave(desired: DesiredState, observed: ObservedState, step: Step): Promise<ReconcileOutcome> {
  await leaveGroup(desired, observed, { ...step.deps, log: step.log });
  await step.deps.store.setObserved(
    observe(desired, step, { sha: null, status: "destroyed", error: null, reloadRequest: desired.reloadRequest }),
  );
  return "destroyed";
}

async function reportTeardown(desired: DesiredState, observed: ObservedState | null, step: Step): Promise<void> {
  const reason = desired.closed ? "the pull request was closed" : (desired.waitReason ?? "`/destroy`");
  // Deleted for inactivity or by /destroy, a push or /deploy brings it back (a rule that holds it back would not).
  const open = !desired.closed && (desired.expired === true || desired.waitReason === null);
  await report(desired, step, { state: "destroyed", reason, open });
  // A deploy cut short leaves its commit "pending" forever (on a merged PR, in the base branch): settle it.
  const settled = observed?.sha === desired.sha && (observed.status === "ready" || observed.status === "failed");
  if (!settled) {
    await step.forge.setCommitStatus(desired.ref, desired.sha, {
      state: "success",
      description: `Preview deleted before it was ready: ${reason.replaceAll("`", "")}`,
    });
  }
}
