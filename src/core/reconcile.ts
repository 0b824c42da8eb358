import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { deleteEnvironment, deployEnvironment, type Cluster } from "../cluster/index.js";
import type { Baseline } from "../config/baseline.js";
import type { Policy } from "../config/config.js";
import { describeError, PrboxError } from "../errors.js";
import type { Forge, ForgeRegistry } from "../forges/forge.js";
import type { Logger } from "../log.js";
import type { DesiredState, ObservedState } from "./desired.js";
import { renderSpec } from "./render-spec.js";
import { commentBody, commitStatus, environmentState, type Report } from "./report.js";
import { upsertStickyComment } from "./sticky-comment.js";

/** What the reconciler needs from the state store (src/queue's RedisStateStore satisfies it). */
export interface StateStore {
  getDesired(envId: string): Promise<DesiredState | null>;
  listDesired(): Promise<DesiredState[]>;
  getObserved(envId: string): Promise<ObservedState | null>;
  setObserved(state: ObservedState): Promise<void>;
}

export interface ReconcileDeps {
  store: StateStore;
  forges: ForgeRegistry;
  cluster: Cluster;
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

/** Milliseconds per phase of a deploy: download the sources, render, apply (hooks and prune included), wait for readiness, report. */
export interface DeployPhases {
  fetch: number;
  render: number;
  apply: number;
  wait: number;
  report: number;
}

export interface ReconcileRun {
  signal?: AbortSignal;
  /** The queue's last attempt: a transient failure is reported as failed instead of "retrying". */
  finalAttempt: boolean;
}

export type Outcome = "deployed" | "destroyed" | "waiting" | "up-to-date" | "superseded" | "gone";

/**
 * Makes the cluster and the PR match the environment's desired state (DESIGN.md §1.3). Safe to
 * run any number of times: it compares with what it last did and only acts on a difference.
 * Permanent failures are reported and rethrown (the job fails once); transient ones rethrown
 * for a retry, reported only on the final attempt.
 */
export async function reconcile(envId: string, deps: ReconcileDeps, run: ReconcileRun): Promise<Outcome> {
  const desired = await deps.store.getDesired(envId);
  if (!desired) return "gone";
  const observed = await deps.store.getObserved(envId);
  const forge = await deps.forges.forgeFor(desired.ref);
  const log = deps.log.child({ envId, sha: desired.sha.slice(0, 7), action: desired.action });
  const step: Step = { deps, forge, log, run };
  if (desired.action === "destroy") return teardown(desired, observed, step);
  if (desired.action === "wait") return hold(desired, observed, step);
  if (upToDate(desired, observed)) return "up-to-date";
  const full = await overCapacity(desired, observed, deps);
  if (full) return hold({ ...desired, waitReason: full }, observed, step);
  return deploy(desired, observed, step);
}

const isLive = (observed: ObservedState | null) => observed !== null && observed.sha !== null && observed.status !== "destroyed";

/**
 * With a cap on live environments, a new one waits while the cap is reached (DESIGN.md §3);
 * returns why, or null. Environments already live always redeploy. Two workers starting two new
 * environments at the same moment can exceed the cap by one: it is a budget, not a lock.
 */
async function overCapacity(desired: DesiredState, observed: ObservedState | null, deps: ReconcileDeps): Promise<string | null> {
  const max = deps.policy.maxEnvironments;
  if (max <= 0 || isLive(observed)) return null;
  const others = (await deps.store.listDesired()).filter((d) => d.envId !== desired.envId);
  const live = (await Promise.all(others.map((d) => deps.store.getObserved(d.envId)))).filter(isLive).length;
  return live >= max ? `${live} preview environments are running and the limit is ${max}; this one deploys as soon as another is deleted` : null;
}

/** After a deletion, environments waiting for capacity get their turn. */
async function wakeWaiting(deps: ReconcileDeps): Promise<void> {
  if (!deps.queue || deps.policy.maxEnvironments <= 0) return;
  for (const desired of await deps.store.listDesired()) {
    if (desired.action !== "deploy") continue;
    if ((await deps.store.getObserved(desired.envId))?.status === "waiting") await deps.queue.enqueueReconcile(desired.envId);
  }
}

interface Step {
  deps: ReconcileDeps;
  forge: Forge;
  log: Logger;
  run: ReconcileRun;
}

function upToDate(desired: DesiredState, observed: ObservedState | null): boolean {
  return (
    observed !== null &&
    observed.sha === desired.sha &&
    observed.reloadRequest >= desired.reloadRequest &&
    (observed.status === "ready" || observed.status === "failed")
  );
}

function observe(desired: DesiredState, step: Step, fields: Pick<ObservedState, "sha" | "status" | "error" | "reloadRequest">): ObservedState {
  const now = (step.deps.now ?? (() => new Date()))();
  return { envId: desired.envId, generation: desired.generation, at: now.toISOString(), ...fields };
}

async function report(desired: DesiredState, step: Step, body: Report): Promise<void> {
  const { forge } = step;
  await upsertStickyComment(forge, desired.ref, commentBody(body), step.log);
  const status = commitStatus(body);
  if (status && "sha" in body) await forge.setCommitStatus(desired.ref, body.sha, status);
  const state = environmentState(body);
  if (state) {
    const url = body.state === "ready" ? body.url : null;
    await forge.setEnvironmentStatus(desired.ref, { environment: desired.envId, sha: desired.sha, state, url });
  }
}

async function teardown(desired: DesiredState, observed: ObservedState | null, step: Step): Promise<Outcome> {
  if (observed?.status === "destroyed") return "up-to-date";
  const result = await deleteEnvironment(step.deps.cluster, desired.envId, { timeoutMs: step.deps.policy.deployTimeoutMs, signal: step.run.signal, log: step.log });
  step.log.info({ namespaces: result.namespaces }, "environment deleted");
  const nothingThere = observed === null && result.namespaces.length + result.released.length + result.objects.length === 0;
  // A PR prbox never acted on (closed before it was seen) gets no comment: just the record.
  if (!nothingThere) await reportTeardown(desired, observed, step);
  await step.deps.store.setObserved(observe(desired, step, { sha: null, status: "destroyed", error: null, reloadRequest: desired.reloadRequest }));
  await wakeWaiting(step.deps);
  return "destroyed";
}

async function reportTeardown(desired: DesiredState, observed: ObservedState | null, step: Step): Promise<void> {
  const reason = desired.closed ? "the pull request was closed" : (desired.waitReason ?? "`/destroy`");
  await report(desired, step, { state: "destroyed", reason });
  // A deploy cut short leaves its commit "pending" forever (on a merged PR, in the base branch): settle it.
  const settled = observed?.sha === desired.sha && (observed.status === "ready" || observed.status === "failed");
  if (!settled) {
    await step.forge.setCommitStatus(desired.ref, desired.sha, { state: "success", description: `Preview deleted before it was ready: ${reason.replaceAll("`", "")}` });
  }
}

async function hold(desired: DesiredState, observed: ObservedState | null, step: Step): Promise<Outcome> {
  const reported = observed?.status === "waiting" && observed.generation === desired.generation && observed.error === desired.waitReason;
  if (reported) return "up-to-date";
  await report(desired, step, { state: "waiting", sha: desired.sha, reason: desired.waitReason ?? "waiting" });
  // `error` keeps the reason shown, so a new reason (cap reached, label missing) is reported once.
  await step.deps.store.setObserved(observe(desired, step, { sha: observed?.sha ?? null, status: "waiting", error: desired.waitReason, reloadRequest: observed?.reloadRequest ?? 0 }));
  return "waiting";
}

async function deploy(desired: DesiredState, observed: ObservedState | null, step: Step): Promise<Outcome> {
  const started = Date.now();
  const controller = new AbortController();
  const stopWatching = watchForClose(desired, step, controller);
  const signal = step.run.signal ? AbortSignal.any([step.run.signal, controller.signal]) : controller.signal;
  const fresh = desired.reloadRequest > (observed?.reloadRequest ?? 0);
  const workDir = await mkdtemp(path.join(os.tmpdir(), "prbox-sources-"));
  // The "deploying" report (several throttled forge writes) goes out while the sources download.
  const deploying = report(desired, step, { state: "deploying", sha: desired.sha, namespace: null });
  deploying.catch(() => {}); // awaited below; this only keeps an early rejection from being "unhandled"
  try {
    let mark = Date.now();
    const lap = (): number => {
      const now = Date.now();
      const ms = now - mark;
      mark = now;
      return ms;
    };
    await step.forge.fetchSources(desired.ref, desired.sha, workDir, signal);
    const fetched = lap();
    const rendered = await renderSpec({
      file: step.deps.policy.specPath,
      root: workDir,
      pr: { forge: desired.ref.forge, repo: desired.ref.repo, pr: desired.ref.pr, branch: desired.branch, sha: desired.sha },
      set: step.deps.policy.variables,
      policy: { ...step.deps.policy, baseline: step.deps.baseline },
      helm: step.deps.helm,
      signal,
    });
    const renderedIn = lap();
    await deploying;
    lap(); // waiting for the "deploying" report is no phase of its own: it overlaps the download
    const result = await deployEnvironment(step.deps.cluster, rendered, {
      wait: true,
      timeoutMs: step.deps.policy.deployTimeoutMs,
      fresh,
      signal,
      log: step.log,
      environmentClusterRole: step.deps.policy.environmentClusterRole,
      baseline: step.deps.baseline,
    });
    lap();
    const seconds = (Date.now() - started) / 1000;
    await report(desired, step, { state: "ready", sha: desired.sha, url: rendered.environment.url, namespace: result.namespace, boxes: rendered.boxes, seconds });
    await step.deps.store.setObserved(observe(desired, step, { sha: desired.sha, status: "ready", error: null, reloadRequest: desired.reloadRequest }));
    const phases: DeployPhases = { fetch: fetched, render: renderedIn, apply: result.timings.applyMs, wait: result.timings.waitMs, report: lap() };
    step.log.info({ ms: phases, objects: rendered.objects.length }, "environment ready");
    step.deps.onPhases?.(phases);
    return "deployed";
  } catch (error) {
    // Report the failure only after the "deploying" report landed, or the comment could end on "deploying".
    await deploying.catch(() => {});
    if (controller.signal.aborted) return "superseded";
    // Awaited here, not returned: the finally below awaits too, and a rejection nobody awaits
    // meanwhile is an unhandled rejection (seen whenever the failure report outran rm).
    return await failed(desired, step, error);
  } finally {
    stopWatching();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function failed(desired: DesiredState, step: Step, error: unknown): Promise<never> {
  const permanent = error instanceof PrboxError && error.kind === "permanent";
  const final = permanent || step.run.finalAttempt;
  step.log.warn({ err: error, permanent }, "deploy failed");
  await report(desired, step, { state: "failed", sha: desired.sha, error: describeError(error), retrying: !final });
  if (final) {
    await step.deps.store.setObserved(observe(desired, step, { sha: desired.sha, status: "failed", error: describeError(error), reloadRequest: desired.reloadRequest }));
  }
  throw error;
}

/**
 * A close (or /destroy) while a deploy runs must win: the deploy is aborted so the teardown job,
 * waiting behind it in the queue, runs at once and nothing is resurrected.
 */
function watchForClose(desired: DesiredState, step: Step, controller: AbortController): () => void {
  const timer = setInterval(() => {
    step.deps.store.getDesired(desired.envId).then(
      (now) => {
        if (now?.action === "destroy") controller.abort(new PrboxError("the pull request was closed during the deploy", { kind: "transient" }));
      },
      (error: unknown) => step.log.warn({ err: error }, "could not check whether the deploy is still wanted"),
    );
  }, step.deps.supersedeCheckMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}
