import type { ProbotOctokit } from "probot";
import { PrboxError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { PullRequestRef } from "../../core/forge.js";

/** One repository as the GitHub adapter's operations use it: who to ask, about what, for which PR. */
export interface GitHubRepo {
  octokit: ProbotOctokit;
  owner: string;
  repo: string;
  pr: number;
  /** "acme/shop", as written in messages. */
  fullName: string;
  log: Logger;
}

export function gitHubRepo(octokit: ProbotOctokit, ref: PullRequestRef, log: Logger): GitHubRepo {
  const parts = ref.repo.split("/");
  const [owner, repo] = parts;
  if (ref.forge !== "github" || parts.length !== 2 || !owner || !repo) {
    throw new PrboxError(`the GitHub adapter was handed ${ref.forge} repository "${ref.repo}"`, { kind: "internal" });
  }
  return { octokit, owner, repo, pr: ref.pr, fullName: ref.repo, log: log.child({ repo: ref.repo, pr: ref.pr }) };
}

/** "acme/shop@0123456": a commit, in messages. */
export function commitName(gh: GitHubRepo, sha: string): string {
  return `${gh.fullName}@${sha.slice(0, 7)}`;
}

/** "acme/shop#42": the pull request, in messages. */
export function prName(gh: GitHubRepo): string {
  return `${gh.fullName}#${gh.pr}`;
}

/**
 * Octokit's retry plugin would repeat a POST that failed with a 5xx, though GitHub may have
 * acted on it: creating calls opt out, and prbox's own retry looks before creating again.
 */
export const NO_PLUGIN_RETRY = { retries: 0 } as const;
