import type { Cluster } from "../cluster/index.js";
import type { Baseline } from "../config/baseline.js";
import type { Policy } from "../config/config.js";
import type { Logger } from "../log.js";
import type { DesiredState, ObservedState } from "./desired.js";
import type { CommitStatus, Forge, ForgeRegistry } from "./forge.js";
import { linkOn, reportToMembers } from "./group-steps.js";
import { groupSection, type Candidate, type GroupHost, type GroupMember } from "./groups.js";
import type { StateStore } from "./ports.js";
import { commentBody, commitStatus, environmentState, type Report, type Retry } from "./report.js";
import { upsertStickyComment, type StickyComment } from "./sticky-comment.js";
import { inlineCode, short } from "./markdown.js";
import { testsStatus } from "./test-report.js";

// What a reconcile (./reconcile.ts) works with, and how it writes its reports and its observed state.

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
  /** The namespace baseline of every PR (config.baseline); defaultBaseline() when absent. */
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

export type ReconcileOutcome =
  | "deployed"
  | "destroyed"
  | "waiting"
  | "up-to-date"
  | "superseded"
  | "gone"
  /** The PR is part of another PR's preview (src/core/groups.ts). */
  | "joined"
  /** Put to sleep (ADR 28). */
  | "asleep";

export interface Step {
  deps: ReconcileDeps;
  forge: Forge;
  log: Logger;
  run: ReconcileRun;
  /** Reports under way: a failure is reported only after them, or the comment could end on "deploying". */
  reports: Promise<void>[];
  /** The open PRs of the branch (src/core/groups.ts); empty when no group can form. */
  candidates: Candidate[];
  /** The PRs of other repositories this environment takes the heads of: its reports go to them too. */
  members: GroupMember[];
  /** The repositories the render named as boxes, once rendered. */
  sources?: string[];
  /** The PR is closed and its preview goes on for its group: only the group's other PRs hear of it. */
  quiet?: boolean;
  /** The action under way puts the environment to sleep: a failure says so, and is not the commit's. */
  sleeping?: boolean;
  /** The commit the host's own boxes were taken at, when not the PR's head (a closed host: its default branch). */
  hostSha?: string;
  /** The PR's sticky comment as this job's last report wrote it: the next report edits it without looking for it. */
  comment?: StickyComment;
}

export function now(step: Step): string {
  return (step.deps.now ?? (() => new Date()))().toISOString();
}

export function observe(
  desired: DesiredState,
  step: Step,
  fields: Pick<ObservedState, "sha" | "status" | "error" | "reloadRequest">,
): ObservedState {
  const group = { members: step.members, ...(step.sources ? { sources: step.sources } : {}) };
  return { envId: desired.envId, generation: desired.generation, at: now(step), ...group, ...fields };
}

export async function report(desired: DesiredState, step: Step, body: Report): Promise<void> {
  const comment = commentBody(body);
  const status = commitStatus(body);
  const host = { ref: desired.ref, sha: step.hostSha ?? desired.sha, closed: step.quiet };
  if (!step.quiet) await reportOwn(desired, step, body, { comment: comment, status, host });
  // On the other PRs of its group, the host's own boxes are named by its repository.
  const theirs = commentBody(body, { ownBoxes: `${inlineCode(desired.ref.repo)} at ${short(host.sha)}` });
  await reportToMembers(
    step.deps,
    host,
    step.members,
    { comment: theirs, status: "sha" in body ? status : null },
    step.log,
  );
}

/** The report on the environment's own PR: the sticky comment, the commit statuses, the forge's environment. */
async function reportOwn(
  desired: DesiredState,
  step: Step,
  body: Report,
  said: { comment: string; status: CommitStatus | null; host: GroupHost },
): Promise<void> {
  const { forge } = step;
  const { comment, status } = said;
  step.comment = await upsertStickyComment(
    forge,
    desired.ref,
    comment + groupSection(said.host, step.members, desired.ref, linkOn(forge)),
    step.log,
    step.comment,
  );
  // A deploy's outcome carries the whole report (GitHub's check run shows it); a hold or a retry does not.
  const outcome = body.state === "ready" || (body.state === "failed" && !body.retry);
  if (status && "sha" in body)
    await forge.setCommitStatus(desired.ref, body.sha, outcome ? { ...status, summary: comment } : status);
  const tests = body.state === "ready" ? testsStatus(body.summary.tests, body.url) : null;
  if (tests && "sha" in body) await forge.setCommitStatus(desired.ref, body.sha, tests);
  const state = environmentState(body);
  if (state) {
    const url = body.state === "ready" ? body.url : null;
    await forge.setEnvironmentStatus(desired.ref, { environment: desired.envId, sha: desired.sha, state, url });
  }
}

/** Starts a report that runs alongside the work; awaited later (and by `failed`). */
export function background(step: Step, pending: Promise<void>): Promise<void> {
  pending.catch(() => {}); // awaited later; this only keeps an early rejection from being "unhandled"
  step.reports.push(pending);
  return pending;
}
