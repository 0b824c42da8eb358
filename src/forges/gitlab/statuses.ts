import type { CommitablePipelineStatus } from "@gitbeaker/rest";
import type { CommitState, CommitStatus } from "../../core/forge.js";
import { gitlab, statusOf } from "./errors.js";
import { commitName, type GitLabMergeRequest } from "./project.js";
import { cut } from "../text.js";
import type { StatusRefs } from "./status-ref.js";

/** The name GitLab shows the status under (an external job in the MR's pipeline widget). */
export const STATUS_NAME = "prbox";

/** "prbox", or "prbox/tests" for the chart's tests. */
const nameOf = (status: Pick<CommitStatus, "name">) => (status.name ? `${STATUS_NAME}/${status.name}` : STATUS_NAME);

/**
 * prbox's commit states in GitLab's words. "pending" is prbox at work (queued or deploying), which
 * GitLab calls running; GitLab's own "pending" means a job waiting for a runner.
 */
const STATES: Record<CommitState, CommitablePipelineStatus> = {
  pending: "running",
  success: "success",
  failure: "failed",
  error: "failed",
};

/**
 * The commit status "prbox" (or "prbox/tests") on `sha`. GitLab answers 400 to a state the status already has (its
 * state machine has no transition from running to running): when the status GitLab keeps says
 * what prbox wanted, that 400 is success. Any other 400 stays an error. The status names its ref
 * (status-ref.ts): a fork's commit is on no branch of the target project.
 */
export async function setCommitStatus(
  mr: GitLabMergeRequest,
  sha: string,
  status: CommitStatus,
  refs: StatusRefs,
): Promise<void> {
  const { api, projectId } = mr;
  const ref = await refs.of(mr);
  const state = STATES[status.state];
  const what = `creating the commit status on ${commitName(mr, sha)}`;
  try {
    await gitlab(what, () =>
      api.Commits.editStatus(projectId, sha, state, {
        name: nameOf(status),
        ref,
        description: cut(status.description, 255),
        ...(status.url ? { targetUrl: status.url } : {}),
      }),
    );
  } catch (error) {
    if (statusOf(error) !== 400 || (await currentState(mr, sha, ref, nameOf(status), what)) !== state) throw error;
    mr.log.debug({ sha, state }, "the commit status already has this state");
    return;
  }
  mr.log.debug({ sha, state, name: nameOf(status) }, "set the commit status");
}

async function currentState(
  mr: GitLabMergeRequest,
  sha: string,
  ref: string,
  name: string,
  what: string,
): Promise<string | undefined> {
  const { api, projectId } = mr;
  const statuses = await gitlab(what, () => api.Commits.allStatuses(projectId, sha, { name, ref }));
  return statuses.find((s) => s.name === name)?.status;
}
