// Response bodies shaped after GitHub's REST documentation and @octokit/webhooks-examples (the
// webhook payloads embed the same objects the REST API returns).
import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import { ProbotOctokit } from "probot";
import type { PullRequestRef } from "../../../../src/core/forge.js";
import type { GitHubBot } from "../../../../src/forges/github/identity.js";

// The package's main file is JSON: require it rather than depend on JSON import attributes.
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

export const API = "https://api.github.com";
export const TOKEN = "test-token";
export const ref: PullRequestRef = { forge: "github", repo: "acme/shop", pr: 42, target: "4242" };
export const SHA = "0123456789abcdef0123456789abcdef01234567";
export const OTHER_SHA = "89abcdef0123456789abcdef0123456789abcdef";
export const BOT = "prbox[bot]";
/** The app's bot account as GitHubForge takes it; production asks GET /app (identity.ts). */
export const testBot: GitHubBot = { login: async () => BOT };

/**
 * An installation Octokit as Probot builds it, with its retry and throttling plugins off unless a
 * test is about them (they would wait seconds between tries).
 */
export function testOctokit(options: { retry?: boolean; baseUrl?: string } = {}): ProbotOctokit {
  return new ProbotOctokit({
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    auth: { token: TOKEN },
    retry: options.retry ? { enabled: true, retryAfterBaseValue: 1 } : { enabled: false },
    throttle: { enabled: false },
  });
}

export function user(login: string, type: "User" | "Bot" = "User", id = 21031067): Record<string, unknown> {
  const api = `${API}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: type === "Bot" ? "BOT_kgDOBzGqWQ" : "MDQ6VXNlcjIxMDMxMDY3",
    avatar_url:
      type === "Bot"
        ? "https://avatars.githubusercontent.com/in/123456?v=4"
        : `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: "",
    url: api,
    html_url: type === "Bot" ? `https://github.com/apps/${login.replace("[bot]", "")}` : `https://github.com/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type,
    user_view_type: "public",
    site_admin: false,
  };
}

export const botUser = () => user(BOT, "Bot", 185735514);
export const human = (login = "octocat") => user(login, "User", 583231);

export function issueComment(id: number, body: string, author = botUser()): Record<string, unknown> {
  return {
    url: `${API}/repos/acme/shop/issues/comments/${id}`,
    html_url: `https://github.com/acme/shop/pull/42#issuecomment-${id}`,
    issue_url: `${API}/repos/acme/shop/issues/42`,
    id,
    node_id: "IC_kwDOAbcdef5xYz12",
    user: author,
    created_at: "2026-11-02T10:00:00Z",
    updated_at: "2026-11-02T10:00:00Z",
    author_association: author.type === "Bot" ? "NONE" : "MEMBER",
    body,
    reactions: { url: `${API}/repos/acme/shop/issues/comments/${id}/reactions`, total_count: 0, "+1": 0, "-1": 0 },
    performed_via_github_app: null,
  };
}

export function commitStatus(state: string, description: string, targetUrl: string | null): Record<string, unknown> {
  return {
    url: `${API}/repos/acme/shop/statuses/${SHA}`,
    avatar_url: "https://avatars.githubusercontent.com/in/123456?v=4",
    id: 34461838712,
    node_id: "SC_kwDOAbcdef8AAAAIBgm7eA",
    state,
    description,
    target_url: targetUrl,
    context: "prbox",
    created_at: "2026-11-02T10:00:00Z",
    updated_at: "2026-11-02T10:00:00Z",
    creator: botUser(),
  };
}

export function deployment(id: number, sha: string, environment = "prbox/pr-42"): Record<string, unknown> {
  return {
    url: `${API}/repos/acme/shop/deployments/${id}`,
    id,
    node_id: "DE_kwDOAbcdef84mX5A",
    sha,
    ref: sha,
    task: "deploy",
    payload: { prbox: { environment: "github-acme-shop-1a2b3c-pr-42", pr: 42 } },
    original_environment: environment,
    environment,
    description: "Preview of acme/shop#42",
    creator: botUser(),
    created_at: "2026-11-02T10:00:00Z",
    updated_at: "2026-11-02T10:00:00Z",
    statuses_url: `${API}/repos/acme/shop/deployments/${id}/statuses`,
    repository_url: `${API}/repos/acme/shop`,
    transient_environment: true,
    production_environment: false,
    performed_via_github_app: null,
  };
}

export function deploymentStatus(
  deploymentId: number,
  fields: { state: string; description: string; log_url: string; environment_url?: string },
): Record<string, unknown> {
  return {
    url: `${API}/repos/acme/shop/deployments/${deploymentId}/statuses/${deploymentId + 1000}`,
    id: deploymentId + 1000,
    node_id: "DES_kwDOAbcdef84aBcD",
    state: fields.state,
    creator: botUser(),
    description: fields.description,
    environment: "prbox/pr-42",
    target_url: fields.log_url,
    log_url: fields.log_url,
    environment_url: fields.environment_url ?? "",
    created_at: "2026-11-02T10:00:00Z",
    updated_at: "2026-11-02T10:00:00Z",
    deployment_url: `${API}/repos/acme/shop/deployments/${deploymentId}`,
    repository_url: `${API}/repos/acme/shop`,
    performed_via_github_app: null,
  };
}

/** pulls.get: GitHub's example PR, moved to acme/shop#42 with the given head. */
export function pullRequestBody(
  options: { state?: "open" | "closed"; fork?: boolean; headRepoDeleted?: boolean } = {},
) {
  const opened = examples
    .find((event) => event.name === "pull_request")
    ?.examples.find((example) => (example as { action?: string }).action === "opened") as unknown as {
    pull_request: Record<string, unknown> & { head: Record<string, unknown>; base: Record<string, unknown> };
  };
  const pr = structuredClone(opened.pull_request);
  const baseRepo = {
    ...(pr.base.repo as Record<string, unknown>),
    id: 186853002,
    name: "shop",
    full_name: "acme/shop",
  };
  const forkRepo = { ...baseRepo, id: 300012345, full_name: "contributor/shop", fork: true };
  pr.number = 42;
  pr.state = options.state ?? "open";
  pr.base = { ...pr.base, repo: baseRepo };
  pr.head = {
    ...pr.head,
    sha: SHA,
    ref: "feature/login",
    label: options.fork ? "contributor:feature/login" : "acme:feature/login",
    repo: options.headRepoDeleted ? null : options.fork ? forkRepo : baseRepo,
  };
  return pr;
}

export function permissionBody(permission: string, roleName: string, login = "octocat"): Record<string, unknown> {
  return {
    permission,
    role_name: roleName,
    user: {
      ...human(login),
      permissions: {
        admin: roleName === "admin",
        maintain: ["admin", "maintain"].includes(roleName),
        push: ["admin", "maintain", "write"].includes(roleName),
        triage: roleName !== "read" && roleName !== "",
        pull: roleName !== "",
      },
      role_name: roleName,
    },
  };
}

export const notFound = { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" };
