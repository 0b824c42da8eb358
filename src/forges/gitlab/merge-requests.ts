import type { PullRequestInfo } from "../forge.js";
import { gitlab } from "./errors.js";
import { mrName, type GitLabMergeRequest } from "./project.js";

/** "locked" is GitLab's state while a merge runs: still open until it says merged. */
const OPEN_STATES = new Set(["opened", "locked"]);

/**
 * The merge request as GitLab sees it now. A fork is a source project other than the target,
 * compared by id, which survives renames and transfers.
 */
export async function mergeRequest(mr: GitLabMergeRequest): Promise<PullRequestInfo> {
  const { api, projectId, iid } = mr;
  const data = await gitlab(`reading ${mrName(mr)}`, () => api.MergeRequests.show(projectId, iid), {
    notFound: "the merge request does not exist or GITLAB_TOKEN cannot read the project",
  });
  return {
    state: OPEN_STATES.has(data.state) ? "open" : "closed",
    headSha: data.sha,
    headBranch: data.source_branch,
    fork: data.source_project_id !== data.target_project_id,
  };
}
