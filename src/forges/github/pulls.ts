import type { PullRequestInfo } from "../forge.js";
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
