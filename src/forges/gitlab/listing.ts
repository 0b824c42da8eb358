import type { Listing, OpenPullRequest, PullRequestLister } from "../../core/listing.js";
import type { Logger } from "../../log.js";
import type { ChecksVerdict } from "../../core/checks.js";
import type { PullRequestRef } from "../../core/forge.js";
import type { GitLabClient } from "./client.js";
import { gitlab, statusOf } from "./errors.js";
import { GitLabForge } from "./forge.js";
import { isBotUsername } from "./events.js";

/** The most GitLab returns per page: one request per 100 open merge requests. */
const PER_PAGE = 100;

interface MergeRequestFields {
  iid: number;
  sha: string;
  source_branch: string;
  source_project_id: number;
  target_project_id: number;
  updated_at: string;
  labels?: unknown[];
  draft?: boolean;
  work_in_progress?: boolean;
  author?: { username?: string } | null;
}

/** The projects whose webhook reached prbox, kept in Redis: GitLab has no "installations" to ask. */
export interface ProjectMemory {
  remember(projects: ReadonlyMap<number, string>): Promise<void>;
  recall(): Promise<Map<number, string>>;
}

interface RedisSetLike {
  sadd(key: string, ...members: string[]): Promise<unknown>;
  smembers(key: string): Promise<string[]>;
}

export function redisProjectMemory(redis: RedisSetLike, prefix: string): ProjectMemory {
  const key = `${prefix}:resync:gitlab-projects`;
  return {
    async remember(projects) {
      if (projects.size > 0) await redis.sadd(key, ...[...projects].map(([id, path]) => `${id} ${path}`));
    },
    async recall() {
      const found = new Map<number, string>();
      for (const member of await redis.smembers(key)) {
        const [id, ...path] = member.split(" ");
        if (Number.isSafeInteger(Number(id))) found.set(Number(id), path.join(" "));
      }
      return found;
    },
  };
}

/**
 * The resync's view of GitLab (ADR 0021). A GitLab token may see thousands of projects that never
 * asked for previews, so prbox lists only the projects it serves: those any desired state or
 * namespace record names (remembered in Redis, so they outlive their environments), and the
 * operator's PRBOX_RESYNC_GITLAB_PROJECTS. GitLab's REST API answers list requests without ETags
 * to revalidate, so each resync reads every page (one request per project and 100 open MRs).
 */
export class GitLabLister implements PullRequestLister {
  readonly forge = "gitlab" as const;

  private readonly adapter: GitLabForge;

  constructor(
    private readonly api: GitLabClient,
    private readonly memory: ProjectMemory,
    private readonly operatorProjects: readonly string[],
    private readonly log: Logger,
  ) {
    this.adapter = new GitLabForge(api, { log });
  }

  async checks(ref: PullRequestRef, sha: string, required: readonly string[]): Promise<ChecksVerdict> {
    return this.adapter.requiredJobs(ref, sha, required);
  }

  async listOpen(known: readonly PullRequestRef[]): Promise<Listing> {
    const count = { requests: 0, notModified: 0 };
    const projects = await this.memory.recall();
    const fresh = new Map<number, string>();
    for (const ref of known) if (!projects.has(Number(ref.target))) fresh.set(Number(ref.target), ref.repo);
    for (const path of this.operatorProjects) {
      if ([...projects.values(), ...fresh.values()].includes(path)) continue;
      count.requests++;
      const id = await this.projectId(path);
      if (id !== null) fresh.set(id, path);
    }
    await this.memory.remember(fresh);
    for (const [id, path] of fresh) projects.set(id, path);
    const pulls: OpenPullRequest[] = [];
    const unlisted: string[] = [];
    for (const [projectId, path] of projects) {
      try {
        const open = (await gitlab(`listing the open merge requests of ${path}`, () =>
          this.api.MergeRequests.all({ projectId, state: "opened", perPage: PER_PAGE }),
        )) as unknown as MergeRequestFields[];
        count.requests += Math.max(1, Math.ceil(open.length / PER_PAGE));
        pulls.push(...open.map((mr) => openMergeRequest(mr, path, projectId)));
      } catch (error) {
        // A project deleted or out of the token's reach must not stop the others' catch-up.
        count.requests++;
        this.log.warn(
          { forge: "gitlab", project: path, err: error },
          "resync: could not list a project's open merge requests; they are caught up next time",
        );
        unlisted.push(path);
      }
    }
    this.log.debug(
      { forge: "gitlab", projects: projects.size, pulls: pulls.length, ...count },
      "listed the open merge requests",
    );
    return { pulls, repositories: projects.size - unlisted.length, unlisted, ...count };
  }

  async refFor(repo: string, pr: number): Promise<PullRequestRef | null> {
    const remembered = [...(await this.memory.recall())].find(([, path]) => path === repo);
    const id = remembered?.[0] ?? (await this.projectId(repo));
    if (id === null) return null;
    if (!remembered) await this.memory.remember(new Map([[id, repo]]));
    return { forge: "gitlab", repo, pr, target: String(id) };
  }

  /** The numeric id of a project path; null when GITLAB_TOKEN cannot see it (404). */
  private async projectId(path: string): Promise<number | null> {
    try {
      const project = await gitlab(`looking up the project ${path}`, () => this.api.Projects.show(path));
      return Number(project.id);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      this.log.warn(
        { forge: "gitlab", project: path },
        "resync: GITLAB_TOKEN cannot see this project (404); it is not listed",
      );
      return null;
    }
  }
}

function openMergeRequest(mr: MergeRequestFields, path: string, projectId: number): OpenPullRequest {
  return {
    ref: { forge: "gitlab", repo: path, pr: mr.iid, target: String(projectId) },
    head: {
      branch: mr.source_branch,
      sha: mr.sha,
      fork: mr.source_project_id !== mr.target_project_id,
      labels: (mr.labels ?? [])
        .map((l) => (typeof l === "string" ? l : String((l as { name?: unknown }).name ?? "")))
        .filter((n) => n !== ""),
      ...draftAndAuthor(mr),
    },
    updatedAt: mr.updated_at,
  };
}

/** As the webhook edge (events.ts): what the wanted rules read, when the list says it. */
function draftAndAuthor(mr: MergeRequestFields): Pick<OpenPullRequest["head"], "draft" | "author"> {
  const draft = mr.draft ?? mr.work_in_progress;
  const login = mr.author?.username;
  return {
    ...(typeof draft === "boolean" ? { draft } : {}),
    ...(login ? { author: { login, bot: isBotUsername(login) } } : {}),
  };
}
