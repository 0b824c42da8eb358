import type { CommitStatus } from "../../core/forge.js";
import { github } from "./errors.js";
import { commitName, type GitHubRepo } from "./repo.js";
import { cut } from "../text.js";

/** The context GitHub shows the status under, and branch protection can require. */
export const STATUS_CONTEXT = "prbox";

/** "prbox", or "prbox/tests" for the chart's tests. */
export const contextOf = (status: Pick<CommitStatus, "name">) =>
  status.name ? `${STATUS_CONTEXT}/${status.name}` : STATUS_CONTEXT;

/**
 * The commit status "prbox" (or "prbox/tests") on `sha`. GitHub keeps the latest status per context, so posting the
 * same state again (a retry) changes nothing anyone sees.
 */
export async function setCommitStatus(gh: GitHubRepo, sha: string, status: CommitStatus): Promise<void> {
  const { octokit, owner, repo } = gh;
  await github(`creating the commit status on ${commitName(gh, sha)}`, () =>
    octokit.rest.repos.createCommitStatus({
      owner,
      repo,
      sha,
      state: status.state,
      context: contextOf(status),
      description: cut(status.description, 140),
      ...(status.url ? { target_url: status.url } : {}),
    }),
  );
  gh.log.debug({ sha, state: status.state, context: contextOf(status) }, "set the commit status");
}
