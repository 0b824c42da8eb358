// PRBOX_REQUIRED_CHECKS on GitLab: a required check is a CI job of that name. Its status comes
// from a Pipeline Hook's `builds` or, when a merge request opens or moves after its pipeline
// already finished, from the API (the newest pipelines on the commit and their jobs).
import { verdictOf, type CheckOutcome, type ChecksVerdict } from "../../core/checks.js";
import { gitlab } from "./errors.js";
import type { GitLabMergeRequest } from "./project.js";

/** A CI job as the Pipeline Hook (`builds`) and the Jobs API both describe it. */
export interface PipelineJob {
  name: string;
  status: string;
}

/** The project a pipeline ran in: who to ask, and its path for messages. */
export type GitLabProject = Pick<GitLabMergeRequest, "api" | "projectId" | "path">;

/**
 * Only a job that succeeded passes. Failed (allow_failure or not: the job the preview needs did
 * not do its work), canceled and skipped (a stage before it failed, or it only runs on failure)
 * fail. Anything else is still to come: created, pending, running, a manual job nobody played yet.
 */
export function jobState(status: string): CheckOutcome["state"] {
  if (status === "success") return "passed";
  return status === "failed" || status === "canceled" || status === "skipped" ? "failed" : "pending";
}

/** The verdict on `required` from `jobs`, newest first: a name's first job counts, a missing name is pending. */
export function jobsVerdict(jobs: readonly PipelineJob[], required: readonly string[], sha: string): ChecksVerdict {
  const outcomes = required.map((name): CheckOutcome => {
    const job = jobs.find((j) => j.name === name);
    return { name, state: job ? jobState(job.status) : "pending" };
  });
  return verdictOf(outcomes, sha);
}

/** Pipelines on one commit read at most; more are re-runs nobody needs for a verdict. */
const PIPELINES_READ = 5;

/**
 * The required jobs on `sha` through the API: the newest pipelines on the commit (a branch
 * pipeline and a merge request pipeline may both run on it), newest first, until every required
 * name was found. A required job in no pipeline is pending, as its pipeline may not exist yet.
 */
export async function requiredJobs(
  project: GitLabProject,
  sha: string,
  required: readonly string[],
): Promise<ChecksVerdict> {
  const { api, projectId } = project;
  const at = `${project.path}@${sha.slice(0, 7)}`;
  const pipelines = await gitlab(`listing the pipelines of ${at}`, () =>
    api.Pipelines.all(projectId, { sha, orderBy: "id", sort: "desc", perPage: PIPELINES_READ, maxPages: 1 }),
  );
  const jobs: PipelineJob[] = [];
  for (const pipeline of pipelines.slice(0, PIPELINES_READ)) {
    const found = await gitlab(`listing the jobs of pipeline ${pipeline.id} of ${at}`, () =>
      api.Jobs.all(projectId, { pipelineId: pipeline.id, perPage: 100 }),
    );
    jobs.push(...found.map((job) => ({ name: job.name, status: job.status })));
    if (required.every((name) => jobs.some((job) => job.name === name))) break;
  }
  return jobsVerdict(jobs, required, sha);
}

/**
 * The open merge requests of the project whose source branch is `branch` and whose head is `sha`:
 * what a branch pipeline is for (its hook names no merge request). Only merge requests from the
 * project itself: a branch pipeline runs where the branch lives.
 */
export async function mergeRequestsAt(project: GitLabProject, branch: string, sha: string): Promise<number[]> {
  const { api, projectId } = project;
  const found = await gitlab(`listing the open merge requests of ${project.path} from ${branch}`, () =>
    api.MergeRequests.all({ projectId, state: "opened", sourceBranch: branch, perPage: 100 }),
  );
  return found
    .filter((mr) => mr.sha === sha && mr.source_project_id === projectId && mr.target_project_id === projectId)
    .map((mr) => mr.iid);
}
