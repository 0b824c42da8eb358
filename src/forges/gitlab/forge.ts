import { silentLogger, type Logger } from "../../log.js";
import type { ArchiveLimits } from "../archive.js";
import type { ChecksVerdict } from "../checks.js";
import type { CommitStatus, EnvironmentStatus, Forge, PullRequestInfo, PullRequestRef, Reaction } from "../forge.js";
import { award } from "./awards.js";
import type { GitLabClient } from "./client.js";
import { setEnvironmentStatus } from "./environments.js";
import { TokenUser } from "./identity.js";
import { canWrite } from "./members.js";
import { mergeRequest } from "./merge-requests.js";
import { reply, upsertStickyNote } from "./notes.js";
import { mergeRequestsAt, requiredJobs } from "./pipelines.js";
import { gitLabMergeRequest, type GitLabMergeRequest } from "./project.js";
import { fetchSources } from "./sources.js";
import { StatusRefs } from "./status-ref.js";
import { setCommitStatus } from "./statuses.js";

export interface GitLabForgeOptions {
  log?: Logger;
  /** Limits for the repository archive (default: 200 MiB, 50,000 entries). */
  limits?: Partial<ArchiveLimits>;
}

/**
 * The Forge on GitLab. One instance serves every project: GitLab has no per-installation
 * tokens, so it is built once from the shared client (createGitLabClient) and the project comes
 * from each ref's `target` (the numeric project id).
 */
export class GitLabForge implements Forge {
  readonly name = "gitlab" as const;
  private readonly log: Logger;
  private readonly self: TokenUser;
  private readonly statusRefs = new StatusRefs();

  constructor(
    private readonly api: GitLabClient,
    private readonly options: GitLabForgeOptions = {},
  ) {
    this.log = (options.log ?? silentLogger).child({ forge: "gitlab" });
    this.self = new TokenUser(api);
  }

  async fetchSources(ref: PullRequestRef, sha: string, dest: string, signal?: AbortSignal): Promise<void> {
    return fetchSources(this.mr(ref), sha, dest, { limits: this.options.limits ?? {}, signal });
  }

  async upsertComment(ref: PullRequestRef, body: string): Promise<void> {
    return upsertStickyNote(this.mr(ref), body);
  }

  async setCommitStatus(ref: PullRequestRef, sha: string, status: CommitStatus): Promise<void> {
    return setCommitStatus(this.mr(ref), sha, status, this.statusRefs);
  }

  async setEnvironmentStatus(ref: PullRequestRef, status: EnvironmentStatus): Promise<void> {
    return setEnvironmentStatus(this.mr(ref), status);
  }

  /** `user` is a GitLab username. */
  async canWrite(ref: PullRequestRef, user: string): Promise<boolean> {
    return canWrite(this.mr(ref), user);
  }

  /** `commentId` is the note id. */
  async acknowledge(ref: PullRequestRef, commentId: string, reaction: Reaction): Promise<void> {
    return award(this.mr(ref), commentId, reaction);
  }

  async reply(ref: PullRequestRef, body: string): Promise<void> {
    return reply(this.mr(ref), body);
  }

  async pullRequest(ref: PullRequestRef): Promise<PullRequestInfo> {
    return mergeRequest(this.mr(ref));
  }

  /** Whether `userId` is the user GITLAB_TOKEN acts as: the webhook never obeys prbox's own notes. */
  async isTokenUser(userId: number): Promise<boolean> {
    return (await this.self.get()).id === userId;
  }

  /** PRBOX_REQUIRED_CHECKS: the required jobs on the merge request's commit `sha`, asked through the API. */
  async requiredJobs(ref: PullRequestRef, sha: string, required: readonly string[]): Promise<ChecksVerdict> {
    return requiredJobs(this.mr(ref), sha, required);
  }

  /** The open merge requests of a project from `branch` whose head is `sha`: what a branch pipeline ran for. */
  async mergeRequestsAt(project: { id: number; path: string }, branch: string, sha: string): Promise<number[]> {
    return mergeRequestsAt({ api: this.api, projectId: project.id, path: project.path }, branch, sha);
  }

  private mr(ref: PullRequestRef): GitLabMergeRequest {
    return gitLabMergeRequest(this.api, this.self, ref, this.log);
  }
}
