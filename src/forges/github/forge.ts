import type { ProbotOctokit } from "probot";
import { silentLogger, type Logger } from "../../log.js";
import type { ArchiveLimits } from "../archive.js";
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
import { createComment, listComments, MAX_COMMENT_LENGTH, updateComment } from "./comments.js";
import { setDeploymentStatus } from "./deployments.js";
import type { GitHubBot } from "./identity.js";
import { canWrite } from "./permissions.js";
import { changedFiles, headSince, pullRequest, pullRequestCommits } from "./pulls.js";
import { react } from "./replies.js";
import { gitHubRepo, type GitHubRepo } from "./repo.js";
import { fetchSources, resolveCommit } from "./sources.js";
import { setCommitStatus } from "./statuses.js";
import { setCheckRun, type CheckRunMemory } from "./check-runs.js";
import { statusOf } from "./errors.js";
import { PrboxError } from "../../errors.js";

export interface GitHubForgeOptions {
  log?: Logger;
  /** Limits for the repository archive (default: 200 MiB, 50,000 entries). */
  limits?: Partial<ArchiveLimits>;
  /**
   * GitHub's web address, for links (a deployment's log_url). Default: derived from the
   * Octokit's API base URL (api.github.com → github.com, https://ghe/api/v3 → https://ghe).
   */
  webUrl?: string;
}

/**
 * The Forge on GitHub, for one installation: built from an installation-authenticated Octokit
 * (`context.octokit` in a handler, `await probot.auth(installationId)` in the worker).
 */
export class GitHubForge implements Forge {
  readonly name = "github" as const;
  readonly maxCommentLength = MAX_COMMENT_LENGTH;
  readonly writers = "people with write access to this repository";
  private readonly log: Logger;
  private readonly webUrl: string;
  private readonly checkRuns: CheckRunMemory = new Map();

  /** `bot`: the app's bot account (identity.ts), the same in the server, the worker and the tests. */
  constructor(
    private readonly octokit: ProbotOctokit,
    private readonly bot: GitHubBot,
    private readonly options: GitHubForgeOptions = {},
  ) {
    this.log = (options.log ?? silentLogger).child({ forge: "github" });
    this.webUrl = (options.webUrl ?? webUrlFor(octokit.request.endpoint.DEFAULTS.baseUrl)).replace(/\/+$/, "");
  }

  async fetchSources(ref: PullRequestRef, sha: string, dest: string, signal?: AbortSignal): Promise<void> {
    return fetchSources(this.repo(ref), sha, dest, { limits: this.options.limits ?? {}, signal });
  }

  async fetchRepository(
    from: PullRequestRef,
    repository: string,
    ref: string | null,
    dest: string,
    signal?: AbortSignal,
  ): Promise<string> {
    // GitLab's group/subgroup/name has no GitHub counterpart: the spec's to fix, not an internal error.
    if (repository.split("/").length !== 2)
      throw new PrboxError(`${repository} is no GitHub repository: GitHub names them owner/name`, {
        hint: 'write the repository as GitHub shows it, e.g. repository = "acme/api"',
      });
    // The PR's installation: an app installed on the organisation reads its other repositories.
    const gh = this.repo({ ...from, repo: repository });
    const sha = await resolveCommit(gh, ref);
    await fetchSources(gh, sha, dest, { limits: this.options.limits ?? {}, signal });
    return sha;
  }

  comments(ref: PullRequestRef): AsyncIterable<PullRequestComment> {
    return listComments(this.repo(ref));
  }

  async createComment(ref: PullRequestRef, body: string): Promise<string> {
    return createComment(this.repo(ref), body);
  }

  async updateComment(ref: PullRequestRef, commentId: string, body: string): Promise<void> {
    return updateComment(this.repo(ref), commentId, body);
  }

  /** Only the app's own bot account: another app's bot may copy the marker. */
  async isOwnComment(author: CommentAuthor): Promise<boolean> {
    return author.bot && author.login === (await this.bot.login());
  }

  pullRequestUrl(ref: PullRequestRef): string {
    return `${this.webUrl}/${ref.repo}/pull/${ref.pr}`;
  }

  pullRequestLabel(ref: PullRequestRef): string {
    return `#${ref.pr}`;
  }

  async pullRequestCommits(ref: PullRequestRef): Promise<string[]> {
    return pullRequestCommits(this.repo(ref));
  }

  async headSince(ref: PullRequestRef, headSha: string): Promise<string | null> {
    return headSince(this.repo(ref), headSha);
  }

  async setCommitStatus(ref: PullRequestRef, sha: string, status: CommitStatus): Promise<void> {
    const gh = this.repo(ref);
    await setCommitStatus(gh, sha, status);
    if (status.name) return; // the check run "prbox" is the deploy's; the tests have their status only
    // The check run repeats the status with the whole report; the status stays the record, so a
    // check run GitHub refuses (an installation that has not accepted "checks: write") is logged only.
    try {
      await setCheckRun(gh, sha, status, (await this.bot.login()).replace(/\[bot\]$/, ""), this.checkRuns);
    } catch (error) {
      gh.log.warn(
        { err: error, sha },
        statusOf(error) === 403
          ? 'GitHub refused the check run "prbox" (403): the installation has not granted "checks: write"; accept the app\'s new permissions in its installation settings. The commit status carries the result meanwhile'
          : 'could not write the check run "prbox"; the commit status carries the result',
      );
    }
  }

  async setEnvironmentStatus(ref: PullRequestRef, status: ForgeEnvironmentStatus): Promise<void> {
    return setDeploymentStatus(this.repo(ref), status, this.pullRequestUrl(ref));
  }

  async canWrite(ref: PullRequestRef, user: string): Promise<boolean> {
    return canWrite(this.repo(ref), user);
  }

  async acknowledge(ref: PullRequestRef, commentId: string, reaction: Reaction): Promise<void> {
    return react(this.repo(ref), commentId, reaction);
  }

  async pullRequest(ref: PullRequestRef): Promise<PullRequestInfo> {
    return pullRequest(this.repo(ref));
  }

  async changedFiles(ref: PullRequestRef): Promise<ChangedPaths> {
    return changedFiles(this.repo(ref));
  }

  private repo(ref: PullRequestRef): GitHubRepo {
    return gitHubRepo(this.octokit, ref, this.log);
  }
}

/** The web address that goes with an API base URL (github.com or GitHub Enterprise Server). */
export function webUrlFor(apiBaseUrl: string): string {
  const url = new URL(apiBaseUrl);
  if (url.hostname === "api.github.com") return "https://github.com";
  if (url.hostname.startsWith("api.")) return `${url.protocol}//${url.hostname.slice(4)}`; // GHE.com data residency
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/api\/v3\/?$/, "")}`;
}
