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
}

export interface PullRequestEvent {
  kind: "pull_request";
  action: "opened" | "reopened" | "synchronize" | "closed" | "labeled" | "unlabeled";
  ref: PullRequestRef;
  head: HeadCommit;
  merged: boolean;
  /** When the PR last changed (GitHub `pull_request.updated_at`): orders out-of-order deliveries. */
  at: string;
}

export type CommandName = "reload" | "destroy" | "deploy";

/** A command from a user the edge already checked may run commands. */
export interface CommandEvent {
  kind: "command";
  command: CommandName;
  ref: PullRequestRef;
  user: string;
  commentId: string;
  /** The PR's head when the command was given: /deploy pins this SHA. */
  head: HeadCommit;
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
