import type { GroupMember } from "./groups.js";
import type { PullRequestAuthor } from "./events.js";
import type { PullRequestRef } from "./forge.js";

/**
 * What should exist for one environment, written by the webhook edge and read by the reconciler
 * (docs/architecture.md §1, level-triggered; ADR 6). Job data only names the environment; this says what to do.
 */
export interface DesiredState {
  /** The prbox environment id (src/spec/naming.ts prEnvironmentId). */
  envId: string;
  ref: PullRequestRef;
  branch: string;
  /** The commit to deploy (for a fork, the one a maintainer's /deploy pinned). */
  sha: string;
  /**
   * deploy: the environment should run `sha`. destroy: it should not exist. wait: it should not
   * be deployed yet (see `waitReason`); an existing one is left as it is.
   */
  action: "deploy" | "destroy" | "wait";
  /** Why `action` is "wait" or "destroy" (when not simply closed), in words for the PR comment. */
  waitReason: string | null;
  fork: boolean;
  /** The PR is closed or merged: nothing but a reopen brings its environment back. */
  closed: boolean;
  /** Labels on the PR, for label opt-in. */
  labels: string[];
  /** The PR is a draft (absent in states stored before prbox knew: not a draft). */
  draft?: boolean;
  /** Who opened the PR, when an event said (src/core/wanted.ts skips bots). */
  author?: PullRequestAuthor | null;
  /** With PRBOX_PATHS: whether the files changed at `sha` match them, as last read. */
  paths?: { sha: string; matched: boolean } | null;
  /**
   * A writer's `/deploy` opted the PR in: the draft, bot, path and no-preview-label rules no
   * longer hold it back (later pushes deploy too), until the no-preview label is added again.
   */
  optedIn?: boolean;
  /** The fork head a maintainer's /deploy approved; later pushes to a fork need another /deploy. */
  forkApprovedSha: string | null;
  /** The head commit whose required CI checks all passed (PRBOX_REQUIRED_CHECKS), if any. */
  checksPassedSha: string | null;
  /** Comment ids of the last commands applied, so a redelivered comment counts once. */
  handledCommands: string[];
  /** A writer's `/keep`: the idle TTL never deletes this preview while the PR is open. */
  keep?: boolean;
  /** A writer's `/extend <duration>`: the idle TTL does not delete it before this time (ISO). */
  keepUntil?: string | null;
  /** The sweep deleted the preview for inactivity (cleared by the next event): the comment says how to get it back. */
  expired?: boolean;
  /**
   * Since when the preview sleeps (ISO), set by the sweep after PRBOX_SLEEP_AFTER without activity;
   * the next event (a push, a command such as `/wake`) or a visit clears it (ADR 28).
   */
  sleepSince?: string | null;
  /**
   * When a visit last woke the preview (ISO): activity that is no forge event, so it leaves
   * `eventAt` (which orders deliveries) alone; the idle countdowns start from the later of the two.
   */
  wokeAt?: string | null;
  /** The deadline (ISO) the sweep last warned about, so each deadline is warned about once. */
  warnedFor?: string | null;
  /** Bumped by /reload: a rebuild from scratch is wanted while it exceeds the observed value. */
  reloadRequest: number;
  /** The PR's `updated_at` (or the event time) of the last event applied; older events are ignored. */
  eventAt: string;
  /** Bumped on every change, so the reconciler can tell whether it saw the latest state. */
  generation: number;
}

/** What the reconciler last did for an environment (kept beside the desired state). */
export interface ObservedState {
  envId: string;
  /** The SHA deployed last, or null after a teardown. */
  sha: string | null;
  /** The reloadRequest value the last deploy satisfied. */
  reloadRequest: number;
  /** The desired generation the last reconcile acted on. */
  generation: number;
  /**
   * grouped: the PR is part of another PR's environment (`host`) and deploys nothing of its own.
   * sleeping: deployed at `sha`, scaled to zero with its Ingresses at the waking page (ADR 28).
   */
  status: "ready" | "failed" | "destroyed" | "waiting" | "grouped" | "sleeping";
  /** The last permanent error for `sha` (not retried until the SHA or the spec changes). */
  error: string | null;
  at: string;
  /** With status grouped: the environment whose preview this PR is part of (src/core/groups.ts). */
  host?: string | null;
  /** The other repositories the last render named as boxes (what makes this PR a group's host). */
  sources?: string[];
  /** The PRs of other repositories whose heads the last deploy took. */
  members?: GroupMember[];
}

/**
 * Whether an environment is deployed (ready, failed after deploying, or asleep): it counts toward
 * the cap. A PR in another's preview (grouped) has none of its own.
 */
export function isLive(observed: ObservedState | null): boolean {
  return observed !== null && observed.sha !== null && observed.status !== "destroyed" && observed.status !== "grouped";
}
