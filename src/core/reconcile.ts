import type { RenderedEnvironment } from "../model.js";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  deleteEnvironment,
  deployEnvironment,
  sleepEnvironment,
  wakeEnvironment,
  type Cluster,
  type DeployResult,
} from "../cluster/index.js";
import { DEFAULT_BASELINE, type Baseline } from "../config/baseline.js";
import type { Policy } from "../config/config.js";
import { describeError } from "../errors.js";
import type { Forge, ForgeRegistry } from "./forge.js";
import type { Logger } from "../log.js";
import type { DesiredState, ObservedState } from "./desired.js";
import { isLive, plan, type Action, type Capacity } from "./plan.js";
import { probeIfWanted, stopwatch, watchForClose } from "./deploy-steps.js";
import { fetchPullRequest, renderPullRequest } from "./box-sources.js";
import { readySummary, type ReadySummary } from "./ready-summary.js";
import type { Retry } from "./report.js";
import { report } from "./publish.js";
import type { StateStore } from "./ports.js";
import { wakeTarget } from "./sleep.js";

export interface ReconcileDeps {
  store: StateStore;
  forges: ForgeRegistry;
  /**
   * The cluster, connected on first use (the caller keeps the connection). Called only by an
   * action that needs it, after the PR was told of the job: an unreachable cluster is a failure
   * of this reconcile like any other, reported on the PR.
   */
  cluster(): Promise<Cluster>;
  policy: Policy;
  log: Logger;
  /** Wakes environments waiting for capacity when one is deleted. */
  queue?: { enqueueReconcile(envId: string): Promise<void> };
  helm?: string;
  now?: () => Date;
  /** How often a running deploy checks whether its PR was closed meanwhile (ms). */
  supersedeCheckMs?: number;
  /** Told how long each phase of a successful deploy took (the worker exports it to /metrics). */
  onPhases?(phases: DeployPhases): void;
  /** The namespace baseline of every PR (config.baseline); DEFAULT_BASELINE when absent. */
  baseline?: Baseline;
}

/** Milliseconds per phase of a deploy: download the sources, render, apply (hooks and prune included), wait for readiness, the chart's tests, report. */
export interface DeployPhases {
  fetch: number;
  render: number;
  apply: number;
  wait: number;
  /** Only when a box ran its chart's tests. */
  test?: number;
  report: number;
}

export interface ReconcileRun {
  signal?: AbortSignal;
  /**
   * When the queue runs this job again if reconcile now throws `error`, or null when it will not
   * (src/queue/worker.ts): the PR is told "retrying in …", or given the final report.
   */
  nextAttempt(error: unknown): Retry | null;
}

export type ReconcileOutcome = "deployed" | "destroyed" | "waiting" | "asleep" | "up-to-date" | "superseded" | "gone";

/**
 * Makes the cluster and the PR match the environment's desired state (docs/architecture.md §1, step 4; ADR 18):
 * plans the one action the difference calls for (core/plan.ts), performs it and writes one
 * observed state. Safe to run any number of times. A failure of a deploy or teardown is reported
 * on the PR, as "retrying in …" while the queue retries and as final otherwise, and rethrown.
 */
export async function reconcile(envId: string, deps: ReconcileDeps, run: ReconcileRun): Promise<ReconcileOutcome> {
  const desired = await deps.store.getDesired(envId);
  if (!desired) return "gone";
  const forge = await deps.forges.forgeFor(desired.ref);
  const log = deps.log.child({ envId, sha: desired.sha.slice(0, 7), action: desired.action });
  const step: Step = { deps, forge, log, run, reports: [] };
  try {
    const observed = await deps.store.getObserved(envId);
    const action = plan(desired, observed, await capacity(desired, observed, deps));
    return await act(action, desired, observed, step);
  } catch (error) {
    return await failed(desired, step, error);
  }
}

async function act(
  action: Action,
  desired: DesiredState,
  observed: ObservedState | null,
  step: Step,
): Promise<ReconcileOutcome> {
  switch (action.kind) {
    case "gone":
    case "up-to-date":
      return action.kind;
    case "hold":
      return hold(desired, observed, action.reason, step);
    case "tear-down":
      return teardown(desired, observed, step);
    case "deploy":
      return deploy(desired, action.fresh, step);
    case "sleep":
      return sleep(desired, observed, step);
  }
}

/**
 * With a cap on live environments, an environment that should run claims a slot (atomically, in
 * the store) before the plan: the plan holds it when none is free (ADR 18).
 */
async function capacity(
  desired: DesiredState,
  observed: ObservedState | null,
  deps: ReconcileDeps,
): Promise<Capacity | null> {
  const max = deps.policy.maxEnvironments;
  if (max <= 0 || desired.action !== "deploy") return null;
  return { max, ...(await deps.store.claimSlot(desired.envId, max, isLive(observed))) };
}

/** After a deletion, environments waiting for capacity get their turn. */
async function wakeWaiting(deps: ReconcileDeps): Promise<void> {
  if (!deps.queue || deps.policy.maxEnvironments <= 0) return;
  for (const desired of await deps.store.listDesired()) {
    if (desired.action !== "deploy") continue;
    if ((await deps.store.getObserved(desired.envId))?.status === "waiting")
      await deps.queue.enqueueReconcile(desired.envId);
  }
}

interface Step {
  deps: ReconcileDeps;
  forge: Forge;
  log: Logger;
  run: ReconcileRun;
  /** Reports under way: a failure is reported only after them, or the comment could end on "deploying". */
  reports: Promise<void>[];
  /** The action under way puts the environment to sleep: a failure says so, and is not the commit's. */
  sleeping?: boolean;
}

function observe(
  desired: DesiredState,
  step: Step,
  fields: Pick<ObservedState, "sha" | "status" | "error" | "reloadRequest">,
): ObservedState {
  const now = (step.deps.now ?? (() => new Date()))();
  return { envId: desired.envId, generation: desired.generation, at: now.toISOString(), ...fields };
}

/** Starts a report that runs alongside the work; awaited later (and by `failed`). */
function background(step: Step, pending: Promise<void>): Promise<void> {
  pending.catch(() => {}); // awaited later; this only keeps an early rejection from being "unhandled"
  step.reports.push(pending);
  return pending;
}

async function teardown(desired: DesiredState, observed: ObservedState | null, step: Step): Promise<ReconcileOutcome> {
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
  await wakeWaiting(step.deps);
  return "destroyed";
}

/**
 * Puts a live environment to sleep (ADR 28): scaled to zero, Ingresses at the waking page; the
 * sticky comment says since when and how to wake it. The observed SHA stays: a wake redeploys it.
 */
async function sleep(desired: DesiredState, observed: ObservedState | null, step: Step): Promise<ReconcileOutcome> {
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

async function hold(
  desired: DesiredState,
  observed: ObservedState | null,
  reason: string,
  step: Step,
): Promise<ReconcileOutcome> {
  await report(desired, step, { state: "waiting", sha: desired.sha, reason });
  // `error` keeps the reason shown, so a new reason (cap reached, label missing) is reported once.
  await step.deps.store.setObserved(
    observe(desired, step, {
      sha: observed?.sha ?? null,
      status: "waiting",
      error: reason,
      reloadRequest: observed?.reloadRequest ?? 0,
    }),
  );
  // A slot claimed for a deploy that now waits (a label removed) is free again while nothing runs.
  if (step.deps.policy.maxEnvironments > 0 && !isLive(observed)) await step.deps.store.releaseSlot(desired.envId);
  return "waiting";
}

async function reportReady(
  desired: DesiredState,
  step: Step,
  done: { rendered: RenderedEnvironment; result: DeployResult; work: ReadySummary["phases"]; started: number },
): Promise<void> {
  const { rendered, result, work } = done;
  const summary = readySummary(rendered, result, work, {
    defaultRequest: (step.deps.baseline ?? DEFAULT_BASELINE).limits?.defaultRequest,
    prices: step.deps.policy.prices,
  });
  const seconds = (Date.now() - done.started) / 1000;
  const url = rendered.environment.url;
  await report(desired, step, { state: "ready", sha: desired.sha, url, namespace: result.namespace, seconds, summary });
  await step.deps.store.setObserved(
    observe(desired, step, { sha: desired.sha, status: "ready", error: null, reloadRequest: desired.reloadRequest }),
  );
}

async function deploy(desired: DesiredState, fresh: boolean, step: Step): Promise<ReconcileOutcome> {
  const started = Date.now();
  // The PR hears of the job before anything that may be broken (the cluster) is touched.
  const queued = background(step, report(desired, step, { state: "queued", sha: desired.sha }));
  const cluster = await step.deps.cluster();
  // A sleeping environment is woken first: what sleep changed is put back exactly, and the
  // deploy then applies what changed since and waits until it is ready again (ADR 28).
  if (await wakeEnvironment(cluster, desired.envId)) step.log.info({}, "environment woken");
  const controller = new AbortController();
  const stopWatching = watchForClose(desired.envId, controller, {
    store: step.deps.store,
    log: step.log,
    everyMs: step.deps.supersedeCheckMs,
  });
  const signal = step.run.signal ? AbortSignal.any([step.run.signal, controller.signal]) : controller.signal;
  // The PR's sources and other repositories' (boxes with a `repository`), side by side.
  const scratch = await mkdtemp(path.join(os.tmpdir(), "prbox-sources-"));
  // The comment already says "deploying shortly": only the forge's deployment changes state. The
  // forge writes are throttled; they run alongside the download and the render (and the apply).
  const inProgress = { environment: desired.envId, sha: desired.sha, state: "in_progress" as const, url: null };
  const deploying = background(
    step,
    queued.then(() => step.forge.setEnvironmentStatus(desired.ref, inProgress)),
  );
  try {
    const lap = stopwatch();
    const root = await fetchPullRequest(step.forge, desired, scratch, signal);
    const fetched = lap();
    const rendered = await renderPullRequest(desired, { root, scratch }, { ...step.deps, forge: step.forge }, signal);
    const renderedIn = lap();
    // The PR hears of a deploy before the cluster changes; the deployment's "in progress" may follow.
    await queued;
    lap(); // waiting for the queued report is no phase of its own: it overlaps the download
    const result = await deployEnvironment(cluster, rendered, {
      wait: true,
      timeoutMs: step.deps.policy.deployTimeoutMs,
      fresh,
      signal,
      log: step.log,
      environmentClusterRole: step.deps.policy.environmentClusterRole,
      baseline: step.deps.baseline,
    });
    lap();
    // "ready" comes after the earlier reports, or the PR could end on "in progress".
    await deploying;
    const probed = await probeIfWanted(rendered, step.deps.policy, step.log, signal);
    const work = {
      fetch: fetched,
      render: renderedIn,
      apply: result.timings.applyMs,
      wait: result.timings.waitMs + probed,
      ...(result.tests.length > 0 ? { test: result.timings.testMs } : {}),
    };
    await reportReady(desired, step, { rendered, result, work, started });
    const phases: DeployPhases = { ...work, report: lap() };
    step.log.info({ ms: phases, objects: rendered.objects.length }, "environment ready");
    step.deps.onPhases?.(phases);
    return "deployed";
  } catch (error) {
    await deploying.catch(() => {});
    if (controller.signal.aborted) return "superseded";
    throw error;
  } finally {
    stopWatching();
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Reports a failed deploy or teardown once the reports under way landed: "retrying in …" when
 * the queue runs the job again (src/retry.ts decides), the final failure otherwise; a final
 * deploy failure is recorded so the same commit is not tried again until a push or /reload.
 */
async function failed(desired: DesiredState, step: Step, error: unknown): Promise<never> {
  await Promise.allSettled(step.reports);
  const retry = step.run.nextAttempt(error);
  step.log.warn({ err: error, retry }, "reconcile failed");
  // A hold that failed failed to reach the forge: there is nothing else to say to the PR.
  if (desired.action === "wait") throw error;
  const deleting = desired.action === "destroy";
  const sleeping = step.sleeping === true;
  const failure = {
    state: "failed" as const,
    sha: desired.sha,
    error: describeError(error),
    retry,
    deleting,
    sleeping,
  };
  await report(desired, step, failure);
  // A sleep that failed for good may have scaled some workloads down: recorded as sleeping, so that
  // the next event or /wake deploys, which wakes what slept (ADR 28). A deploy's failure is the commit's.
  if (!retry && !deleting) {
    await step.deps.store.setObserved(
      observe(desired, step, {
        sha: desired.sha,
        status: sleeping ? "sleeping" : "failed",
        error: describeError(error),
        reloadRequest: desired.reloadRequest,
      }),
    );
  }
  throw error;
}
