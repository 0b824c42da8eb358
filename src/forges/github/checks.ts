import type { ProbotOctokit } from "probot";
import { verdictOf, type CheckOutcome, type ChecksVerdict } from "../../core/checks.js";
import { github } from "./errors.js";

const PASSING = new Set(["success", "neutral", "skipped"]);

/**
 * The state of the named checks on a commit, from both of GitHub's mechanisms: check runs
 * (GitHub Actions and check apps) and commit statuses (older CI). A name found in neither is
 * pending: its CI may not have started yet.
 */
export async function requiredChecks(
  octokit: ProbotOctokit,
  repository: string,
  sha: string,
  required: readonly string[],
): Promise<ChecksVerdict> {
  const [owner = "", repo = ""] = repository.split("/");
  const at = `${repository}@${sha.slice(0, 7)}`;
  const runs = await github(`listing the check runs of ${at}`, () =>
    octokit.paginate(octokit.rest.checks.listForRef, { owner, repo, ref: sha, per_page: 100 }),
  );
  const combined = await github(`reading the commit statuses of ${at}`, () =>
    octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref: sha }),
  );
  const outcomes: CheckOutcome[] = required.map((name) => {
    const run = runs.find((r) => r.name === name);
    if (run)
      return {
        name,
        state: run.status !== "completed" ? "pending" : PASSING.has(run.conclusion ?? "") ? "passed" : "failed",
      };
    const status = combined.data.statuses.find((s) => s.context === name);
    if (status)
      return { name, state: status.state === "success" ? "passed" : status.state === "pending" ? "pending" : "failed" };
    return { name, state: "pending" };
  });
  return verdictOf(outcomes, sha);
}

/** The open PRs of the repository whose head is `sha` (a status event names only the commit). */
export async function pullRequestsAt(octokit: ProbotOctokit, repository: string, sha: string): Promise<number[]> {
  const [owner = "", repo = ""] = repository.split("/");
  const { data } = await github(`listing the pull requests of ${repository}@${sha.slice(0, 7)}`, () =>
    octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: sha }),
  );
  return data.filter((pr) => pr.state === "open" && pr.head.sha === sha).map((pr) => pr.number);
}
