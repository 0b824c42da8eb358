import type { RenderedEnvironment } from "../model.js";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { deployEnvironment, wakeEnvironment, type Cluster, type DeployResult } from "../cluster/index.js";
import { defaultBaseline } from "../config/baseline.js";
import { describeError } from "../errors.js";
import type { DesiredState, ObservedState } from "./desired.js";
import { isLive, plan, type Action, type Capacity } from "./plan.js";
import { probeIfWanted, stopwatch, watchForClose } from "./deploy-steps.js";
import { fetchDefaultBranch, fetchPullRequest, renderPullRequest } from "./box-sources.js";
import { upsertStickyComment } from "./sticky-comment.js";
import { readySummary, type ReadySummary } from "./ready-summary.js";
import { groupingOf } from "./groups.js";
import { branchCandidates, groupHeads, joinGroup, linkOn, settleMembers } from "./group-steps.js";
import { commentBody } from "./report.js";
import {
  background,
  now,
  observe,
  report,
  type DeployPhases,
  type ReconcileDeps,
  type ReconcileOutcome,
  type ReconcileRun,
  type Step,
} from "./reconcile-step.js";
import { teardown } from "./teardown.js";
import { sleep } from "./sleep-step.js";

export type { DeployPhases, ReconcileDeps, ReconcileOutcome, ReconcileRun } from "./reconcile-step.js";

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
  const step: Step = { deps, forge, log, run, reports: [], candidates: [], members: [] };
  try {
    const observed = await deps.store.getObserved(envId);
    step.candidates = await branchCandidates(deps, desired);
    const group = groupingOf(envId, step.candidates);
    step.members = group.members;
    // What the last render named stays known until the next render (a sleep or a hold records it again).
    step.sources = observed?.sources;
    const action = plan(desired, observed, await capacity(desired, observed, deps), group);
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
      return deploy(desired, action, observed, step);
    case "sleep":
      return sleep(desired, observed, step);
    case "join":
      await joinGroup(desired, observed, action.host, { ...step.deps, log: step.log }, now(step));
      return "joined";
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
    defaultRequest: (step.deps.baseline ?? defaultBaseline()).limits?.defaultRequest,
    prices: step.deps.policy.prices,
  });
  const seconds = (Date.now() - done.started) / 1000;
  const url = rendered.environment.url;
  await report(desired, step, { state: "ready", sha: desired.sha, url, namespace: result.namespace, seconds, summary });
  await step.deps.store.setObserved(
    observe(desired, step, { sha: desired.sha, status: "ready", error: null, reloadRequest: desired.reloadRequest }),
  );
}

/**
 * The cluster, with the environment awake: a sleeping one is woken first (what sleep changed is put
 * back exactly), and the deploy then applies what changed since and waits until it is ready (ADR 28).
 */
async function awake(desired: DesiredState, step: Step): Promise<Cluster> {
  const cluster = await step.deps.cluster();
  if (await wakeEnvironment(cluster, desired.envId)) step.log.info({}, "environment woken");
  return cluster;
}

/** A close while the deploy runs aborts it; a closed host's deploy for its group has no close to watch for. */
function watching(desired: DesiredState, action: { closed?: true }, step: Step, controller: AbortController) {
  if (action.closed) return () => {};
  const watch = { store: step.deps.store, log: step.log, everyMs: step.deps.supersedeCheckMs };
  return watchForClose(desired.envId, controller, watch);
}

/**
 * The comment already says "deploying shortly": only the forge's deployment changes state. The
 * forge writes are throttled; they run alongside the download and the render (and the apply).
 */
async function markInProgress(desired: DesiredState, step: Step): Promise<void> {
  if (step.quiet) return;
  const inProgress = { environment: desired.envId, sha: desired.sha, state: "in_progress" as const, url: null };
  await step.forge.setEnvironmentStatus(desired.ref, inProgress);
}

/** The PR's sources at its commit; a closed host's (plan.ts "closed") at its repository's default branch. */
async function ownSources(
  desired: DesiredState,
  action: { closed?: true },
  scratch: string,
  step: Step,
  signal: AbortSignal,
): Promise<{ root: string; sha: string }> {
  if (!action.closed) return { root: await fetchPullRequest(step.forge, desired, scratch, signal), sha: desired.sha };
  const fetched = await fetchDefaultBranch(step.forge, desired.ref, scratch, signal);
  step.hostSha = fetched.sha;
  return fetched;
}

/**
 * A closed PR's preview goes on for the open PRs of its group: its own PR is told once, and hears
 * nothing more until the preview is deleted (its commit is merged or abandoned).
 */
async function lingerOn(desired: DesiredState, step: Step): Promise<void> {
  step.quiet = true;
  const link = linkOn(step.forge);
  const body = commentBody({ state: "kept", for: step.members.map((m) => link(m.ref)) });
  await upsertStickyComment(step.forge, desired.ref, body, step.log);
}

/** The PR's environment rendered, with the heads of the PRs in its group for their repositories' boxes. */
async function render(
  desired: DesiredState,
  dirs: { root: string; scratch: string },
  step: Step,
  signal: AbortSignal,
): Promise<RenderedEnvironment> {
  const heads = groupHeads(desired.envId, step.candidates);
  const deps = { ...step.deps, forge: step.forge, head: (repository: string) => heads.head(repository) };
  const rendered = await renderPullRequest(desired, dirs, deps, signal);
  // The group is what the render took: the reports from here on go to each of its PRs.
  step.members = heads.used();
  step.sources = [...new Set((rendered.sources ?? []).map((s) => s.repository))];
  return rendered;
}

async function deploy(
  desired: DesiredState,
  action: Extract<Action, { kind: "deploy" }>,
  observed: ObservedState | null,
  step: Step,
): Promise<ReconcileOutcome> {
  const started = Date.now();
  if (action.closed) await lingerOn(desired, step);
  // The PR hears of the job before anything that may be broken (the cluster) is touched.
  const queued = background(step, report(desired, step, { state: "queued", sha: desired.sha }));
  const cluster = await awake(desired, step);
  const controller = new AbortController();
  const stopWatching = watching(desired, action, step, controller);
  const signal = step.run.signal ? AbortSignal.any([step.run.signal, controller.signal]) : controller.signal;
  const scratch = await mkdtemp(path.join(os.tmpdir(), "prbox-sources-"));
  const deploying = background(
    step,
    queued.then(() => markInProgress(desired, step)),
  );
  try {
    const lap = stopwatch();
    const own = await ownSources(desired, action, scratch, step, signal);
    const fetched = lap();
    const rendered = await render({ ...desired, sha: own.sha }, { root: own.root, scratch }, step, signal);
    const renderedIn = lap();
    // The PR hears of a deploy before the cluster changes; the deployment's "in progress" may follow.
    await queued;
    lap(); // waiting for the queued report is no phase of its own: it overlaps the download
    const result = await deployEnvironment(cluster, rendered, {
      wait: true,
      timeoutMs: step.deps.policy.deployTimeoutMs,
      fresh: action.fresh,
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
    await settleMembers(step.deps, step.members, observed?.members ?? []);
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
  await report(desired, step, {
    state: "failed",
    sha: desired.sha,
    error: describeError(error),
    retry,
    deleting,
    sleeping,
  });
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
