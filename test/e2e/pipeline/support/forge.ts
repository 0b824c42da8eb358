// What the shared end-to-end suites (test/pipeline/*.suite.ts) ask of a forge: a forge-neutral
// driver with one implementation per forge (github.ts over fake-github, gitlab.ts over
// fake-gitlab). It moves a pull request (GitHub) or merge request (GitLab) through its life,
// builds the webhook deliveries the forge would send, and reads back what prbox wrote there.
import type { CommitState, ForgeName } from "../../../../src/core/forge.js";
import type { Files } from "../../github/support/sources.js";

/** Write access in GitHub's words; on GitLab maintain is Maintainer, write Developer, read Guest. */
export type Role = "maintain" | "write" | "read";

export interface Head {
  ref: string;
  sha: string;
  /** The head lives in a fork (another repository/project). */
  fork?: boolean;
  /** Who opened it; default a member of the project. */
  user?: string;
  /** `user` is a bot account of the forge (GitHub: a GitHub App's type "Bot"; GitLab: name it project_N_bot_…). */
  bot?: boolean;
  /** Opened as a draft. */
  draft?: boolean;
  /** The files the PR changes; default every file of the head's commit. */
  changes?: string[];
}

/** A comment (GitHub) or note (GitLab) on the PR. */
export interface SeenComment {
  id: number;
  body: string;
  /** Every body it had, the first included. */
  history: string[];
}

/** One commit status prbox posted, in prbox's states (GitLab's running is pending, failed is failure). */
export interface SeenStatus {
  state: CommitState;
  description: string | null;
  url: string | null;
}

/**
 * The forge's record of the preview. `ready`: it shows the URL (a Deployment whose last status is
 * success, an available Environment with its external URL); `created`: it exists without a
 * result yet; `failed` (GitHub only: a GitLab Environment has no failed state); `stopped`
 * (GitHub: inactive); `removed` (GitLab: stopped, then deleted); `none`: never made.
 */
export interface SeenEnvironment {
  state: "none" | "created" | "ready" | "failed" | "stopped" | "removed";
  url: string | null;
  /** SHAs the forge recorded a deployment of, oldest first ([] where it records none: GitLab). */
  deploys: string[];
}

export type PullRequestAction = "opened" | "synchronize" | "closed" | "reopened";

/** A delivery as the forge would send it, built from the state at the time it was made. */
export interface Delivery {
  /** POSTs it to prbox's webhook; `id` repeats an earlier delivery's id (a redelivery). */
  send(options?: { id?: string }): Promise<DeliveryAnswer>;
}

export interface DeliveryAnswer {
  id: string;
  status: number;
  body: string;
}

export interface OtherRepository {
  readonly path: string;
  pushBranch(branch: string, sha: string, files: Files): Promise<void>;
  /** SHAs whose sources prbox downloaded, in order. */
  downloads(): string[];
}

export interface ForgeHarness {
  readonly name: ForgeName;
  /** "owner/name" or "group/project". */
  readonly repo: string;
  /** The forge keeps one Deployment per deployed SHA with its outcome (GitHub). */
  readonly recordsDeployments: boolean;
  push(sha: string, files: Files): Promise<void>;
  /** Makes `files` at `sha` the head of `branch` ("main" is the default branch). */
  pushBranch(branch: string, sha: string, files: Files): Promise<void>;
  /**
   * Another repository of the same owner (and GitHub installation), named `<this repo>-<suffix>`,
   * for boxes that name a `repository`; `pushBranch` makes `files` the head of a branch ("main" is
   * its default branch).
   */
  otherRepository(suffix: string): OtherRepository;
  open(pr: number, head: Head): void;
  /** A push to the PR's branch: its head moves to `sha`. */
  pushTo(pr: number, sha: string): void;
  close(pr: number, options: { merged: boolean }): void;
  /** Reopens a PR closed without merging. */
  reopen(pr: number): void;
  setRole(user: string, role: Role): void;
  /** A person comments on the PR; a webhook may follow (commentEvent). */
  comment(pr: number, user: string, body: string): SeenComment;
  /** Another bot account than prbox's (another app, another token's user) comments on the PR. */
  botComment(pr: number, body: string): SeenComment;
  /** Every comment on the PR, by anyone, oldest first. */
  comments(pr: number): SeenComment[];
  /** Someone adds (`on`) or removes a label; the event it causes (GitHub labeled/unlabeled, GitLab's update). */
  setLabel(pr: number, name: string, on: boolean): Delivery;
  /** The author marks the draft ready for review; the event it causes (GitHub ready_for_review, GitLab's update). */
  markReady(pr: number): Delivery;
  /** The event a change of the PR causes (GitHub pull_request.<action>, GitLab's Merge Request Hook). */
  pullRequestEvent(pr: number, action: PullRequestAction): Delivery;
  commentEvent(pr: number, comment: SeenComment): Delivery;
  /** The PRs this test opened. */
  pullRequests(): number[];
  stickyComments(pr: number): SeenComment[];
  /** prbox's comments on the PR that are not the sticky one (replies to refused commands). */
  replies(pr: number): string[];
  /** The commit statuses named `name` (default "prbox") on `sha`, oldest first. */
  statusesOf(sha: string, name?: string): SeenStatus[];
  /** "+1" / "-1" (GitLab's thumbsup / thumbsdown) on a comment. */
  reactionsOn(commentId: number): string[];
  /** SHAs whose sources prbox downloaded, in order. */
  downloads(): string[];
  environment(pr: number): SeenEnvironment;
  namespace(pr: number): string;
  environmentId(pr: number): string;
  /** Throws what the fake saw that the real forge would refuse. */
  assertNoProblems(): void;
}
