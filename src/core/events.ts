import type { PullRequestRef } from "./forge.js";

/**
 * Webhook deliveries of either forge, normalised at the edge. The core decides what they mean
 * for an environment (src/core/transitions.ts); it never sees a forge's payload.
 */
export interface HeadCommit {
  branch: string;
  sha: string;
  /** The head lives in another repository than the base. */
  fork: boolean;
  labels: string[];
  /**
   * The PR is a draft (GitHub) or a draft merge request (GitLab). Absent: this event does not
   * say (a comment, an older listing), and what prbox knew stays.
   */
  draft?: boolean;
  /** Who opened the PR; absent when this event does not say (what prbox knew stays). */
  author?: PullRequestAuthor;
}

/** The author of a PR as the edge saw it. */
export interface PullRequestAuthor {
  login: string;
  /** An account the forge marks as a bot (GitHub `type: "Bot"`, GitLab's access-token users and service accounts). */
  bot: boolean;
}

/**
 * The files a PR changes, read through the forge's API by the edge when the operator set path
 * filters (PRBOX_PATHS); the transition matches them (src/core/wanted.ts).
 */
export interface ChangedFiles {
  /** The head the list was read for. */
  sha: string;
  paths: string[];
  /** False when the forge cut the list (GitHub lists at most 3,000 files): a file not listed may match. */
  complete: boolean;
}

export interface PullRequestEvent {
  kind: "pull_request";
  action:
    | "opened"
    | "reopened"
    | "synchronize"
    | "closed"
    | "labeled"
    | "unlabeled"
    | "ready_for_review"
    | "converted_to_draft";
  ref: PullRequestRef;
  head: HeadCommit;
  merged: boolean;
  /** With PRBOX_PATHS, the files the PR changes; absent: not read (no filter, or the forge did not answer). */
  changedFiles?: ChangedFiles;
  /** When the PR last changed (GitHub `pull_request.updated_at`): orders out-of-order deliveries. */
  at: string;
}

export type CommandName = "reload" | "destroy" | "deploy" | "keep" | "extend" | "wake";

/** A command from a user the edge already checked may run commands. */
export interface CommandEvent {
  kind: "command";
  command: CommandName;
  ref: PullRequestRef;
  user: string;
  commentId: string;
  /** The PR's head when the command was given: /deploy pins this SHA. */
  head: HeadCommit;
  /** `/extend <duration>`: how long, in ms. */
  extendMs?: number;
  at: string;
}

/** The required CI checks of a PR's head commit settled (all passed, or one failed). */
export interface ChecksEvent {
  kind: "checks";
  ref: PullRequestRef;
  sha: string;
  passed: boolean;
  /** A sentence for the PR when they did not pass, e.g. "the check build failed". */
  summary: string;
  at: string;
}

export type ForgeEvent = PullRequestEvent | CommandEvent | ChecksEvent;
