import { silentLogger, type Logger } from "../../log.js";
import type { ArchiveLimits } from "../archive.js";
import type { ChecksVerdict } from "../../core/checks.js";
import type {
  ChangedPaths,
  CommentAuthor,
  CommitStatus,
  ForgeEnvironmentStatus,
  Forge,
  PullRequestComment,
  PullRequestInfo,
  PullRequestRef,
  Reaction,
} from "../../core/forge.js";
import { award } from "./awards.js";
import type { GitLabClient } from "./client.js";
import { setEnvironmentStatus } from "./environments.js";
import { TokenUser } from "./identity.js";
import { canWrite } from "./members.js";
import { changedFiles, headSince, mergeRequest, mergeRequestCommits } from "./merge-requests.js";
import { createNote, listNotes, MAX_NOTE_LENGTH, updateNote } from "./notes.js";
import { mergeRequestsAt, requiredJobs } from "./pipelines.js";
import { gitLabMergeRequest, type GitLabMergeRequest } from "./project.js";
import { fetchSources, resolveProject } from "./sources.js";
import { StatusRefs } from "./status-ref.js";
import { setCommitStatus } from "./statuses.js";

export interface GitLabForgeOptions {
  log?: Logger;
  /** Limits for the repository archive (default: 200 MiB, 50,000 entries). */
  limits?: Partial<ArchiveLimits>;
  /** GITLAB_URL, for links to merge requests; default https://gitlab.com. */
  webUrl?: string;
}

/**
 * The Forge on GitLab. One instance serves every project: GitLab has no per-installation
 * tokens, so it is built once from the shared client (createGitLabClient) and the project comes
 * from each ref's `target` (the numeric project id).
 */
export class GitLabForge implements Forge {
  readonly name = "gitlab" as const;
  readonly maxCommentLength = MAX_NOTE_LENGTH;
  readonly writers = "members with the Developer role or higher";
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

  async fetchRepository(
    from: PullRequestRef,
    repository: string,
    ref: string | null,
    dest: string,
    signal?: AbortSignal,
  ): Promise<string> {
    const { project, sha } = await resolveProject(this.mr(from), repository, ref);
    await fetchSources(project, sha, dest, { limits: this.options.limits ?? {}, signal });
    return sha;
  }

  comments(ref: PullRequestRef): AsyncIterable<PullRequestComment> {
    return listNotes(this.mr(ref));
  }

  async createComment(ref: PullRequestRef, body: string): Promise<string> {
    return createNote(this.mr(ref), body);
  }

  async updateComment(ref: PullRequestRef, commentId: string, body: string): Promise<void> {
    return updateNote(this.mr(ref), commentId, body);
  }

  /** Only the user GITLAB_TOKEN acts as: the webhook never obeys, and the sticky note is never another's. */
  async isOwnComment(author: CommentAuthor): Promise<boolean> {
    return String((await this.self.get()).id) === author.id;
  }

  pullRequestUrl(ref: PullRequestRef): string {
    return `${(this.options.webUrl ?? "https://gitlab.com").replace(/\/+$/, "")}/${ref.repo}/-/merge_requests/${ref.pr}`;
  }

  pullRequestLabel(ref: PullRequestRef): string {
    return `!${ref.pr}`;
  }

  async pullRequestCommits(ref: PullRequestRef): Promise<string[]> {
    return mergeRequestCommits(this.mr(ref));
  }

  async headSince(ref: PullRequestRef, headSha: string): Promise<string | null> {
    return headSince(this.mr(ref), headSha);
  }

  async setCommitStatus(ref: PullRequestRef, sha: string, status: CommitStatus): Promise<void> {
    return setCommitStatus(this.mr(ref), sha, status, this.statusRefs);
  }

  async setEnvironmentStatus(ref: PullRequestRef, status: ForgeEnvironmentStatus): Promise<void> {
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

  async pullRequest(ref: PullRequestRef): Promise<PullRequestInfo> {
    return mergeRequest(this.mr(ref));
  }

  async changedFiles(ref: PullRequestRef): Promise<ChangedPaths> {
    return changedFiles(this.mr(ref));
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
