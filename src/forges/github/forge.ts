import type { ProbotOctokit } from "probot";
import { silentLogger, type Logger } from "../../log.js";
import type { ArchiveLimits } from "../archive.js";
import type {
  CommitStatus,
  EnvironmentStatus,
  Forge,
  PullRequestInfo,
  PullRequestRef,
  Reaction,
} from "../forge.js";
import { upsertStickyComment } from "./comments.js";
import { setDeploymentStatus } from "./deployments.js";
import { canWrite } from "./permissions.js";
import { pullRequest } from "./pulls.js";
import { react, reply } from "./replies.js";
import { gitHubRepo, type GitHubRepo } from "./repo.js";
import { fetchSources } from "./sources.js";
import { setCommitStatus } from "./statuses.js";

export interface GitHubForgeOptions {
  log?: Logger;
  /**
   * The app's bot account ("prbox[bot]"). When given, only its comments are taken for the
   * sticky one; otherwise any bot's comment carrying the marker is.
   */
  botLogin?: string;
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
  private readonly log: Logger;
  private readonly webUrl: string;

  constructor(
    private readonly octokit: ProbotOctokit,
    private readonly options: GitHubForgeOptions = {},
  ) {
    this.log = (options.log ?? silentLogger).child({ forge: "github" });
    this.webUrl = (options.webUrl ?? webUrlFor(octokit.request.endpoint.DEFAULTS.baseUrl)).replace(/\/+$/, "");
  }

  async fetchSources(ref: PullRequestRef, sha: string, dest: string, signal?: AbortSignal): Promise<void> {
    return fetchSources(this.repo(ref), sha, dest, { limits: this.options.limits ?? {}, signal });
  }

  async upsertComment(ref: PullRequestRef, body: string): Promise<void> {
    return upsertStickyComment(this.repo(ref), body, this.options.botLogin);
  }

  async setCommitStatus(ref: PullRequestRef, sha: string, status: CommitStatus): Promise<void> {
    return setCommitStatus(this.repo(ref), sha, status);
  }

  async setEnvironmentStatus(ref: PullRequestRef, status: EnvironmentStatus): Promise<void> {
    return setDeploymentStatus(this.repo(ref), status, `${this.webUrl}/${ref.repo}/pull/${ref.pr}`);
  }

  async canWrite(ref: PullRequestRef, user: string): Promise<boolean> {
    return canWrite(this.repo(ref), user);
  }

  async acknowledge(ref: PullRequestRef, commentId: string, reaction: Reaction): Promise<void> {
    return react(this.repo(ref), commentId, reaction);
  }

  async reply(ref: PullRequestRef, body: string): Promise<void> {
    return reply(this.repo(ref), body);
  }

  async pullRequest(ref: PullRequestRef): Promise<PullRequestInfo> {
    return pullRequest(this.repo(ref));
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
