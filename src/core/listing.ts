import type { ChecksVerdict } from "./checks.js";
import type { HeadCommit } from "./events.js";
import type { ForgeName, PullRequestRef } from "./forge.js";

/** One open PR/MR as a forge's list of open ones shows it. */
export interface OpenPullRequest {
  ref: PullRequestRef;
  head: HeadCommit;
  /** The PR's `updated_at`: orders what resync feeds against what webhooks already did. */
  updatedAt: string;
}

/** What one listing of a forge found, and what it cost. */
export interface Listing {
  pulls: OpenPullRequest[];
  /** Repositories (projects) listed completely. */
  repositories: number;
  /**
   * Repositories (or installations) that could not be listed and were skipped. Safe: the resync
   * never takes a PR missing from the list for closed, it asks the forge about it.
   */
  unlisted: string[];
  /** API requests made, and how many of them were answered 304 Not Modified (free on GitHub). */
  requests: number;
  notModified: number;
}

/**
 * A forge's side of the resync (src/forges/<forge>/listing.ts): the open PRs of every repository
 * prbox serves, and the way back from a namespace record (repository and number) to a ref.
 */
export interface PullRequestLister {
  readonly forge: ForgeName;
  /**
   * Every open PR of the repositories prbox serves. `known` are the refs of prbox's desired states:
   * a forge that cannot list its repositories itself (GitLab) lists theirs.
   * A repository that cannot be listed is skipped (`unlisted`); throws when nothing can be listed.
   */
  listOpen(known: readonly PullRequestRef[]): Promise<Listing>;
  /** The ref of PR `pr` of `repo` (its installation or project id looked up), or null when prbox cannot reach the repository. */
  refFor(repo: string, pr: number): Promise<PullRequestRef | null>;
  /** The verdict on `sha`'s required checks (PRBOX_REQUIRED_CHECKS), as the webhook edge asks it after a PR event. */
  checks(ref: PullRequestRef, sha: string, required: readonly string[]): Promise<ChecksVerdict>;
}
