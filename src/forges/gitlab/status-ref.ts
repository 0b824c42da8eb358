import { mergeRequest } from "./merge-requests.js";
import type { GitLabMergeRequest } from "./project.js";

/** Merge requests whose status ref is kept; plenty for the merge requests one process serves at a time. */
const KEPT = 1000;

/**
 * The `ref` a merge request's commit status is posted with. Without one GitLab takes the ref of
 * the newest pipeline on the SHA, else the first branch of the target project containing it,
 * and answers 404 "References for commit Not Found" when there is neither: always the case for a
 * fork's commit, which lives in the target project only under `refs/merge-requests/<iid>/head`.
 * So a fork MR's status names that ref, and any other MR's its source branch (the MR widget
 * shows that branch's pipelines). Both never change for a merge request, so they are asked
 * once per process.
 */
export class StatusRefs {
  private readonly known = new Map<string, string>();

  async of(mr: GitLabMergeRequest): Promise<string> {
    const key = `${mr.projectId}!${mr.iid}`;
    const kept = this.known.get(key);
    if (kept !== undefined) return kept;
    const info = await mergeRequest(mr);
    const ref = info.fork ? `refs/merge-requests/${mr.iid}/head` : info.headBranch;
    if (this.known.size >= KEPT) this.known.delete(this.known.keys().next().value as string);
    this.known.set(key, ref);
    return ref;
  }
}
