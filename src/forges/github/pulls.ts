import type { ChangedPaths, PullRequestInfo } from "../../core/forge.js";
import { github } from "./errors.js";
import { prName, type GitHubRepo } from "./repo.js";

/**
 * The PR as GitHub sees it now. A fork is a head in another repository than the base, or a head
 * whose repository was deleted (`head.repo` null): compared by repository id, which survives
 * renames and transfers that a full name does not.
 */
export async function pullRequest(gh: GitHubRepo): Promise<PullRequestInfo> {
  const { octokit, owner, repo } = gh;
  const { data } = await github(
    `reading ${prName(gh)}`,
    () => octokit.rest.pulls.get({ owner, repo, pull_number: gh.pr }),
    { notFound: "the pull request does not exist or the GitHub App cannot read the repository" },
  );
  const headRepo = data.head.repo;
  return {
    state: data.state === "open" ? "open" : "closed",
    headSha: data.head.sha,
    headBranch: data.head.ref,
    fork: headRepo === null || headRepo.id !== data.base.repo.id,
  };
}

/** The SHAs of the PR's commits (GitHub lists at most 250). */
export async function pullRequestCommits(gh: GitHubRepo): Promise<string[]> {
  const { octokit, owner, repo } = gh;
  const commits = await github(`listing the commits of ${prName(gh)}`, () =>
    octokit.paginate(octokit.rest.pulls.listCommits, { owner, repo, pull_number: gh.pr, per_page: 100 }),
  );
  return commits.map((commit) => commit.sha);
}

/**
 * Since when, by GitHub's clock, the head has been `headSha`: the head repository's last push
 * (`head.repo.pushed_at`). GitHub records no push time per branch that an installation can read
 * for a fork; a push to any branch of the head repository moves this time too, which only makes
 * `/deploy` ask for the SHA more often. A commit's own date is written by its author, never used.
 */
export async function headSince(gh: GitHubRepo, headSha: string): Promise<string | null> {
  const { octokit, owner, repo } = gh;
  const { data } = await github(`reading ${prName(gh)}`, () =>
    octokit.rest.pulls.get({ owner, repo, pull_number: gh.pr }),
  );
  if (data.head.sha !== headSha) return null;
  return data.head.repo?.pushed_at ?? null;
}

/** GitHub lists at most this many files of a pull request. */
const MAX_LISTED_FILES = 3000;

/** The files the PR changes (`pulls/{n}/files`, 100 a page); a renamed file counts under both names. */
export async function changedFiles(gh: GitHubRepo): Promise<ChangedPaths> {
  const { octokit, owner, repo } = gh;
  const files = await github(`listing the files of ${prName(gh)}`, () =>
    octokit.paginate(octokit.rest.pulls.listFiles, { owner, repo, pull_number: gh.pr, per_page: 100 }),
  );
  const paths = files.flatMap((file) =>
    file.previous_filename ? [file.filename, file.previous_filename] : [file.filename],
  );
  return { paths, complete: files.length < MAX_LISTED_FILES };
}
