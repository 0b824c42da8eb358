import type { CommitStatus } from "../../core/forge.js";
import { github } from "./errors.js";
import { commitName, type GitHubRepo } from "./repo.js";
import { cut } from "../text.js";

/** The context GitHub shows the status under, and branch protection can require. */
export const STATUS_CONTEXT = "prbox";

/**
 * The commit status "prbox" on `sha`. GitHub keeps the latest status per context, so posting the
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
      context: STATUS_CONTEXT,
      description: cut(status.description, 140),
      ...(status.url ? { target_url: status.url } : {}),
    }),
  );
  gh.log.debug({ sha, state: status.state }, "set the commit status");
}
