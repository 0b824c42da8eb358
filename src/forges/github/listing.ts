import type { Probot, ProbotOctokit } from "probot";
import type { Listing, OpenPullRequest, PullRequestLister } from "../../core/listing.js";
import type { Logger } from "../../log.js";
import type { ChecksVerdict } from "../../core/checks.js";
import type { CachedPage, ListingCache } from "../listing-cache.js";
import type { PullRequestRef } from "../../core/forge.js";
import { requiredChecks } from "./checks.js";
import { github, statusOf } from "./errors.js";

/** The most GitHub returns per page: one request per 100 open PRs. */
const PER_PAGE = 100;

interface Counter {
  requests: number;
  notModified: number;
}

interface PullFields {
  number: number;
  updated_at: string;
  head: { ref: string; sha: string; repo: { id: number } | null };
  base: { repo: { id: number } };
  labels?: { name?: string }[] | null;
  draft?: boolean;
  user?: { login: string; type?: string } | null;
}

/**
 * The resync's view of GitHub (ADR 0021): every installation of the App, every repository it
 * was given, the open PRs of each. Every page is asked with If-None-Match and the ETag of its
 * last answer: an unchanged page is a 304, which GitHub does not count against the rate limit.
 */
export class GitHubLister implements PullRequestLister {
  readonly forge = "github" as const;
  /** repository full name (lower case) → installation id, from the last listing. */
  private readonly installations = new Map<string, string>();

  constructor(
    private readonly probot: Probot,
    private readonly cache: ListingCache,
    private readonly log: Logger,
  ) {}

  async listOpen(): Promise<Listing> {
    const count: Counter = { requests: 0, notModified: 0 };
    const app = await this.probot.auth();
    const installations = await pages(
      {
        octokit: app,
        route: "GET /app/installations",
        params: {},
        who: "app",
        keep: (data) => (data as { id: number }[]).map((i) => ({ id: i.id })),
      },
      this.cache,
      count,
    );
    const listing: Listing = { pulls: [], repositories: 0, unlisted: [], requests: 0, notModified: 0 };
    for (const installation of installations) {
      try {
        await this.listInstallation(String(installation.id), listing, count);
      } catch (error) {
        // One installation (suspended, its token refused) must not stop the others' catch-up.
        this.log.warn(
          { forge: "github", installation: installation.id, err: error },
          "resync: could not list an installation's repositories; its PRs are caught up next time",
        );
        listing.unlisted.push(`installation ${installation.id}`);
      }
    }
    this.log.debug(
      {
        forge: "github",
        installations: installations.length,
        repositories: listing.repositories,
        pulls: listing.pulls.length,
        ...count,
      },
      "listed the open pull requests",
    );
    return { ...listing, ...count };
  }

  private async listInstallation(target: string, listing: Listing, count: Counter): Promise<void> {
    const octokit = await this.probot.auth(Number(target));
    const repos = await pages(
      {
        octokit,
        route: "GET /installation/repositories",
        params: {},
        who: target,
        keep: (data) => (data as { repositories: { full_name: string }[] }).repositories.map((r) => r.full_name),
      },
      this.cache,
      count,
    );
    for (const fullName of repos) {
      this.installations.set(fullName.toLowerCase(), target);
      const [owner, repo] = fullName.split("/");
      try {
        const open = await pages(
          {
            octokit,
            route: "GET /repos/{owner}/{repo}/pulls",
            params: { owner, repo, state: "open" },
            who: target,
            keep: (data) => (data as PullFields[]).map((pr) => openPull(pr, fullName, target)),
          },
          this.cache,
          count,
        );
        listing.pulls.push(...open);
        listing.repositories++;
      } catch (error) {
        this.log.warn(
          { forge: "github", repo: fullName, err: error },
          "resync: could not list a repository's open pull requests; they are caught up next time",
        );
        listing.unlisted.push(fullName);
      }
    }
  }

  async checks(ref: PullRequestRef, sha: string, required: readonly string[]): Promise<ChecksVerdict> {
    return requiredChecks(await this.probot.auth(Number(ref.target)), ref.repo, sha, required);
  }

  async refFor(repo: string, pr: number): Promise<PullRequestRef | null> {
    const known = this.installations.get(repo.toLowerCase());
    if (known) return { forge: "github", repo, pr, target: known };
    const [owner, name] = repo.split("/");
    const app = await this.probot.auth();
    try {
      const { data } = await github(`looking up the installation of ${repo}`, () =>
        app.request("GET /repos/{owner}/{repo}/installation", { owner: owner ?? "", repo: name ?? "" }),
      );
      return { forge: "github", repo, pr, target: String(data.id) };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }
}

function openPull(pr: PullFields, fullName: string, target: string): OpenPullRequest {
  return {
    ref: { forge: "github", repo: fullName, pr: pr.number, target },
    head: {
      branch: pr.head.ref,
      sha: pr.head.sha,
      // As src/forges/github/pulls.ts: a deleted fork (head.repo null) counts as a fork.
      fork: pr.head.repo === null || pr.head.repo.id !== pr.base.repo.id,
      labels: (pr.labels ?? []).map((l) => l.name ?? "").filter((n) => n !== ""),
      // As the webhook edge (events.ts): what the wanted rules read, so a PR marked ready while
      // prbox was down is deployed by the resync.
      draft: pr.draft === true,
      ...(pr.user ? { author: { login: pr.user.login, bot: pr.user.type === "Bot" } } : {}),
    },
    updatedAt: pr.updated_at,
  };
}

interface ListRequest<T> {
  /** Authenticated as the app (JWT) or as the installation `who`. */
  octokit: ProbotOctokit;
  route: string;
  params: Record<string, string | undefined>;
  who: string;
  /** What prbox keeps of a page's data. */
  keep: (data: unknown) => T[];
}

/**
 * Every page of a GitHub list, each asked conditionally. The cache key names the installation
 * too: an ETag is only valid for the credentials that got it.
 */
async function pages<T>(list: ListRequest<T>, cache: ListingCache, count: Counter): Promise<T[]> {
  const { octokit, route, params, who, keep } = list;
  const all: T[] = [];
  for (let page = 1; ; page++) {
    const key = `github ${who} ${route} ${JSON.stringify(params)} ${page}`;
    const cached = await cache.get<T>(key);
    const fresh = await ask(octokit, route, { ...params, per_page: PER_PAGE, page }, cached, count);
    const current: CachedPage<T> | null = fresh
      ? { etag: fresh.etag, items: keep(fresh.data), next: fresh.next }
      : cached;
    if (!current) break; // unreachable: a 304 comes only with a cached page
    if (fresh && fresh.etag !== "") await cache.set(key, current);
    all.push(...current.items);
    if (!current.next) break;
  }
  return all;
}

/** One page; null when GitHub answered 304 (the cached page is current). */
async function ask(
  octokit: ProbotOctokit,
  route: string,
  params: Record<string, unknown>,
  cached: CachedPage<unknown> | null,
  count: Counter,
): Promise<{ data: unknown; etag: string; next: boolean } | null> {
  count.requests++;
  const headers = cached ? { "if-none-match": cached.etag } : {};
  return github(`listing ${route}`, async () => {
    try {
      const response = await octokit.request(route, { ...params, headers });
      const link = String(response.headers.link ?? "");
      return { data: response.data, etag: String(response.headers.etag ?? ""), next: /rel="next"/.test(link) };
    } catch (error) {
      // Octokit throws on a 304 (before prbox's error classification, which knows no 304).
      if (cached && (error as { status?: unknown }).status === 304) {
        count.notModified++;
        return null;
      }
      throw error;
    }
  });
}
