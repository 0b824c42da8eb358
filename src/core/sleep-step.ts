import { sleepEnvironment } from "../cluster/index.js";
import type { DesiredState, ObservedState } from "./desired.js";
import { observe, report, type ReconcileOutcome, type Step } from "./reconcile-step.js";
import { wakeTarget } from "./sleep.js";

/**
 * Puts a live environment to sleep (ADR 28): scaled to zero, Ingresses at the waking page; the
 * sticky comment says since when and how to wake it. The observed SHA stays: a wake redeploys it.
 */
export async function sleep(
  desired: DesiredState,
  observed: ObservedState | null,
  step: Step,
): Promise<ReconcileOutcome> {
  step.sleeping = true;
  const target = wakeTarget(step.deps.policy);
  const slept = await sleepEnvironment(await step.deps.cluster(), desired.envId, target);
  step.log.info({ scaled: slept.scaled, urls: slept.urls }, "environment asleep");
  const asleep = observe(desired, step, {
    sha: observed?.sha ?? null,
    status: "sleeping",
    error: null,
    reloadRequest: observed?.reloadRequest ?? 0,
  });
  await report(desired, step, { state: "sleeping", since: desired.sleepSince ?? asleep.at, urls: slept.urls });
  await step.deps.store.setObserved(asleep);
  return "asleep";
}
