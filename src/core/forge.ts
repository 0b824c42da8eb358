import { PrboxError } from "../errors.js";

/**
 * The one interface between prbox's core and a forge (GitHub, GitLab). Forge-specific code lives
 * only in src/forges/<forge>/; the core sees this. Every operation is safe to repeat: retries of
 * a job must never post twice.
 */
export const FORGE_NAMES = ["github", "gitlab"] as const;
export type ForgeName = (typeof FORGE_NAMES)[number];

/** Whether a name from outside (a CLI flag, a label read back from the cluster) is a forge prbox serves. */
export function isForgeName(name: string): name is ForgeName {
  return (FORGE_NAMES as readonly string[]).includes(name);
}

/** A pull request (GitHub) or merge request (GitLab), and what its adapter needs to reach it. */
export interface PullRequestRef {
  forge: ForgeName;
  /** "owner/name" on GitHub, "group/subgroup/project" on GitLab. */
  repo: string;
  /** The PR or MR number (GitLab's iid). */
  pr: number;
  /** Opaque to the core: the GitHub App installation id, or the GitLab project id. */
  target: string;
}

export type CommitState = "pending" | "success" | "failure" | "error";

/** The life of a preview environment as the forge shows it (GitHub Deployment, GitLab Environment). */
export type ForgeEnvironmentState = "queued" | "in_progress" | "success" | "failure" | "inactive";

export interface CommitStatus {
  /** Absent: the status "prbox"; "tests": "prbox/tests", the chart's tests (src/core/test-report.ts). */
  name?: "tests";
  state: CommitState;
  /** One short line (GitHub cuts at 140 characters). */
  description: string;
  url?: string | null;
  /**
   * A deploy's outcome (ready, or failed for good): the whole report in markdown (the sticky
   * comment's body), which GitHub's check run shows. Absent for holds, retries and progress.
   */
  summary?: string;
}

export interface ForgeEnvironmentStatus {
  /** The prbox environment id; the adapter names the forge's environment from it (GitHub: "prbox/pr-<N>", id in the payload). */
  environment: string;
  sha: string;
  state: ForgeEnvironmentState;
  url?: string | null;
  description?: string;
}

export interface PullRequestInfo {
  state: "open" | "closed";
  headSha: string;
  headBranch: string;
  /** The head lives in another repository (a fork). */
  fork: boolean;
}

export type Reaction = "+1" | "-1" | "eyes";

/** The files a PR changes as the forge lists them now, renamed files under both names. */
export interface ChangedPaths {
  paths: string[];
  /** False when the forge cut the list (GitHub lists at most 3,000 files, GitLab its diff limit). */
  complete: boolean;
}

/** Who wrote a comment, as the forge reports it. */
export interface CommentAuthor {
  /** The forge's numeric user id, as a string. */
  id: string;
  login: string;
  /** An account the forge marks as a bot (GitHub `type: "Bot"`, GitLab's access-token users and service accounts). */
  bot: boolean;
}

/** A comment on the PR (a note on GitLab) written by a person or a bot; never a system note. */
export interface PullRequestComment {
  id: string;
  body: string;
  author: CommentAuthor;
}

export interface Forge {
  readonly name: ForgeName;
  /**
   * Downloads the repository at `sha` and extracts it into `dest` (an existing empty directory).
   * Refuses archives with `..` or absolute entries, links that lead outside `dest`, and archives
   * over the size limit: permanent errors with a message a developer can act on.
   */
  fetchSources(ref: PullRequestRef, sha: string, dest: string, signal?: AbortSignal): Promise<void>;
  /**
   * Another repository of the same forge (a box's `repository`), read with prbox's own credentials
   * for the PR `from`: resolves `ref` (null: its default branch) to a commit, extracts it into
   * `dest` as fetchSources does, and returns the commit. A repository prbox cannot read, or a ref
   * it does not have, is a permanent error naming it.
   */
  fetchRepository(
    from: PullRequestRef,
    repository: string,
    ref: string | null,
    dest: string,
    signal?: AbortSignal,
  ): Promise<string>;
  /** The longest comment body the forge accepts, in characters (src/core/sticky-comment.ts cuts to it). */
  readonly maxCommentLength: number;
  /** Who may run commands, in words for a reply ("people with write access to this repository"). */
  readonly writers: string;
  /** The PR's comments, oldest first, fetched page by page as they are read. */
  comments(ref: PullRequestRef): AsyncIterable<PullRequestComment>;
  /** Posts a comment and returns its id. Sent once, never retried blindly: a retry could post twice. */
  createComment(ref: PullRequestRef, body: string): Promise<string>;
  updateComment(ref: PullRequestRef, commentId: string, body: string): Promise<void>;
  /** Whether prbox wrote it: the GitHub App's bot account, the user GITLAB_TOKEN acts as. */
  isOwnComment(author: CommentAuthor): Promise<boolean>;
  /** The PR's web page. */
  pullRequestUrl(ref: PullRequestRef): string;
  /** How the forge names the PR in text: "#7" on GitHub, "!7" on GitLab. */
  pullRequestLabel(ref: PullRequestRef): string;
  /** The full SHAs of the PR's commits (`/deploy <sha>` may name any of them). */
  pullRequestCommits(ref: PullRequestRef): Promise<string[]>;
  /**
   * A time by the forge's own clock since which the PR's head has been `headSha`, or null when
   * the forge cannot say. Never a commit's date: its author writes that. `/deploy` without a
   * SHA deploys the head only when this is before the comment was written.
   */
  headSince(ref: PullRequestRef, headSha: string): Promise<string | null>;
  /**
   * The commit status named "prbox" (or "prbox/<name>") on `sha`, and on GitHub for "prbox" the
   * check run "prbox" with the summary; posting the same state again is not an error.
   */
  setCommitStatus(ref: PullRequestRef, sha: string, status: CommitStatus): Promise<void>;
  /** The forge's record of the environment (GitHub Deployment with environment_url, GitLab Environment). */
  setEnvironmentStatus(ref: PullRequestRef, status: ForgeEnvironmentStatus): Promise<void>;
  /** Whether `user` may run commands: write access on GitHub, Developer or higher on GitLab, asked through the API. */
  canWrite(ref: PullRequestRef, user: string): Promise<boolean>;
  /** Acknowledges a command comment (a reaction on GitHub, an award emoji on GitLab). */
  acknowledge(ref: PullRequestRef, commentId: string, reaction: Reaction): Promise<void>;
  /** The PR's current state; throws when the forge cannot say (the sweep never deletes on an error). */
  pullRequest(ref: PullRequestRef): Promise<PullRequestInfo>;
  /** The files the PR changes (PRBOX_PATHS), page by page. */
  changedFiles(ref: PullRequestRef): Promise<ChangedPaths>;
}

/** Picks the adapter for a job from its data; one registry serves both forges in one process. */
export interface ForgeRegistry {
  forgeFor(ref: PullRequestRef): Promise<Forge>;
}

/** A registry from one adapter factory per forge; a forge without one is a permanent error. */
export function forgeRegistry(
  factories: Partial<Record<ForgeName, (ref: PullRequestRef) => Promise<Forge>>>,
): ForgeRegistry {
  return {
    async forgeFor(ref) {
      const factory = factories[ref.forge];
      if (!factory)
        throw new PrboxError(`prbox is not configured for ${ref.forge} (environment of ${ref.repo}#${ref.pr})`, {
          kind: "permanent",
        });
      return factory(ref);
    },
  };
}
