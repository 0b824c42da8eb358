import { PrboxError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { PullRequestRef } from "../../core/forge.js";
import type { GitLabClient } from "./client.js";
import type { TokenUser } from "./identity.js";

/** One merge request as the GitLab adapter's operations use it: who to ask, about what. */
export interface GitLabMergeRequest {
  api: GitLabClient;
  /** The numeric project id (the ref's `target`): survives renames and transfers, a path does not. */
  projectId: number;
  /** The merge request's iid, its number within the project. */
  iid: number;
  /** "group/subgroup/project", as written in messages. */
  path: string;
  /** The token's own user, asked once per process. */
  self: TokenUser;
  log: Logger;
}

export function gitLabMergeRequest(
  api: GitLabClient,
  self: TokenUser,
  ref: PullRequestRef,
  log: Logger,
): GitLabMergeRequest {
  const projectId = Number(ref.target);
  if (ref.forge !== "gitlab" || !Number.isSafeInteger(projectId) || projectId <= 0 || !ref.repo.includes("/")) {
    throw new PrboxError(
      `the GitLab adapter was handed ${ref.forge} repository "${ref.repo}" (target "${ref.target}")`,
      { kind: "internal" },
    );
  }
  return { api, projectId, iid: ref.pr, path: ref.repo, self, log: log.child({ repo: ref.repo, pr: ref.pr }) };
}

/** "acme/shop!42": the merge request, in messages (GitLab's own reference syntax). */
export function mrName(mr: GitLabMergeRequest): string {
  return `${mr.path}!${mr.iid}`;
}

/** "acme/shop@0123456": a commit, in messages. */
export function commitName(mr: GitLabMergeRequest, sha: string): string {
  return `${mr.path}@${sha.slice(0, 7)}`;
}
