import type { ChangedPaths, PullRequestInfo } from "../../core/forge.js";
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

/** The SHAs of the merge request's commits. */
export async function mergeRequestCommits(mr: GitLabMergeRequest): Promise<string[]> {
  const { api, projectId, iid } = mr;
  const commits = await gitlab(`listing the commits of ${mrName(mr)}`, () =>
    api.MergeRequests.allCommits(projectId, iid),
  );
  return commits.map((commit) => commit.id);
}

/**
 * Since when, by GitLab's clock, the head has been `headSha`: the creation of the merge request's
 * newest diff version (GitLab makes one on every push), when that version is of this head.
 */
export async function headSince(mr: GitLabMergeRequest, headSha: string): Promise<string | null> {
  const { api, projectId, iid } = mr;
  const versions = await gitlab(`reading the diff versions of ${mrName(mr)}`, () =>
    api.MergeRequests.allDiffVersions(projectId, iid),
  );
  const newest = versions.reduce<(typeof versions)[number] | undefined>(
    (a, b) => (a === undefined || b.id > a.id ? b : a),
    undefined,
  );
  return newest?.head_commit_sha === headSha ? newest.created_at : null;
}

/** GitLab's default diff limit (the instance's `diff_max_files`): a list this long may be cut. */
const MAX_LISTED_FILES = 1000;

/** The files the merge request changes (its diffs, page by page); a renamed file counts under both names. */
export async function changedFiles(mr: GitLabMergeRequest): Promise<ChangedPaths> {
  const { api, projectId, iid } = mr;
  const diffs = await gitlab(`listing the changes of ${mrName(mr)}`, () =>
    api.MergeRequests.allDiffs(projectId, iid, { perPage: 100 }),
  );
  const paths = [...new Set(diffs.flatMap((diff) => [diff.new_path, diff.old_path]))];
  return { paths, complete: diffs.length < MAX_LISTED_FILES };
}
