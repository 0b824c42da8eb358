// GitLab REST responses shaped after GitLab's API documentation (Notes, Commits, Environments,
// Members, Users, Merge requests, Award emoji), and the webhook payloads in fixtures/gitlab/.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createGitLabClient, type GitLabClient } from "../../../../src/forges/gitlab/client.js";
import type { PullRequestRef } from "../../../../src/core/forge.js";
import { tarGz, type TarEntry } from "../support/tarball.js";

export const HOST = "https://gitlab.example.com";
/** Every API path starts here; nock scopes are on HOST. */
export const API = "/api/v4";
/** Shaped like a real personal access token, so the redaction patterns are exercised too. */
export const TOKEN = "glpat-Xq3vR8sK2mT9wZ4yB7nD";
export const PROJECT_ID = 15;
export const ref: PullRequestRef = { forge: "gitlab", repo: "acme/platform/shop", pr: 42, target: String(PROJECT_ID) };
export const SHA = "0123456789abcdef0123456789abcdef01234567";
export const OTHER_SHA = "89abcdef0123456789abcdef0123456789abcdef";
export const PROJECT = `${API}/projects/${PROJECT_ID}`;
export const MR = `${PROJECT}/merge_requests/42`;

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../fixtures/gitlab");

/** A webhook payload from fixtures/gitlab/, parsed, to change before sending. */
export function hook(name: string): Record<string, unknown> & { object_attributes: Record<string, unknown> } {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), "utf8")) as Record<string, unknown> & {
    object_attributes: Record<string, unknown>;
  };
}

/** The client prbox builds, without retries unless a test is about them (they wait between tries). */
export function testClient(options: { retries?: number } = {}): GitLabClient {
  return createGitLabClient({ url: HOST, token: TOKEN, retries: options.retries ?? 0, backoffMs: 1 });
}

export function user(id: number, username: string, options: { bot?: boolean } = {}): Record<string, unknown> {
  return {
    id,
    username,
    name: options.bot ? "prbox" : username[0]?.toUpperCase() + username.slice(1),
    state: "active",
    locked: false,
    avatar_url: `https://secure.gravatar.com/avatar/${id}?s=80&d=identicon`,
    web_url: `${HOST}/${username}`,
    ...(options.bot ? { bot: true } : {}),
  };
}

/** The token's own user: a project access token's bot. */
export const BOT = user(9001, "project_15_bot_3f2a9c0b1d", { bot: true });
export const SAM = user(52, "sam");

/** `GET /user` for the token's bot. */
export function currentUser(): Record<string, unknown> {
  return {
    ...BOT,
    created_at: "2026-10-01T09:00:00.000Z",
    bio: "",
    public_email: null,
    is_admin: false,
    can_create_group: false,
    can_create_project: false,
    two_factor_enabled: false,
    external: false,
    private_profile: false,
  };
}

export function note(
  id: number,
  body: string,
  author = BOT,
  options: { system?: boolean } = {},
): Record<string, unknown> {
  return {
    id,
    type: null,
    body,
    attachment: null,
    author,
    created_at: "2026-11-02T10:00:00.000Z",
    updated_at: "2026-11-02T10:00:00.000Z",
    system: options.system ?? false,
    noteable_id: 9901,
    noteable_type: "MergeRequest",
    project_id: PROJECT_ID,
    noteable_iid: 42,
    resolvable: false,
    confidential: false,
    internal: false,
    imported: false,
    imported_from: "none",
  };
}

/** The pagination headers GitLab sends with a list (offset pagination). */
export function pageHeaders(page: number, totalPages: number, perPage = 100): Record<string, string> {
  const link = (p: number, rel: string) =>
    `<${HOST}${MR}/notes?order_by=created_at&page=${p}&per_page=${perPage}&sort=asc>; rel="${rel}"`;
  const links = [page < totalPages ? link(page + 1, "next") : null, link(1, "first"), link(totalPages, "last")].filter(
    Boolean,
  );
  return {
    link: links.join(", "),
    "x-page": String(page),
    "x-per-page": String(perPage),
    "x-next-page": page < totalPages ? String(page + 1) : "",
    "x-prev-page": page > 1 ? String(page - 1) : "",
    "x-total-pages": String(totalPages),
    "x-total": String(totalPages * perPage),
  };
}

export function commitStatus(status: string, description: string): Record<string, unknown> {
  return {
    id: 93,
    sha: SHA,
    ref: "feature/login",
    status,
    name: "prbox",
    target_url: "https://pr-42.preview.acme.dev",
    description,
    created_at: "2026-11-02T10:00:00.000Z",
    started_at: "2026-11-02T10:00:00.000Z",
    finished_at: null,
    allow_failure: false,
    coverage: null,
    pipeline_id: 1201,
    author: BOT,
  };
}

export function environment(
  id: number,
  state: "available" | "stopping" | "stopped",
  externalUrl: string | null = null,
): Record<string, unknown> {
  return {
    id,
    name: "prbox/mr-42",
    slug: "prbox-mr-42-x1y2z3",
    description: null,
    external_url: externalUrl,
    state,
    tier: "development",
    created_at: "2026-11-02T10:00:00.000Z",
    updated_at: "2026-11-02T10:00:00.000Z",
    enable_advanced_logs_querying: false,
    logs_api_path: `/acme/platform/shop/-/logs/k8s.json?environment_name=prbox%2Fmr-42`,
    auto_stop_at: null,
    auto_stop_setting: "always",
    kubernetes_namespace: null,
    flux_resource_path: null,
  };
}

export function member(id: number, username: string, accessLevel: number): Record<string, unknown> {
  return {
    ...user(id, username),
    access_level: accessLevel,
    created_at: "2026-10-01T09:00:00.000Z",
    created_by: user(1, "root"),
    expires_at: null,
    group_saml_identity: null,
    membership_state: "active",
  };
}

export function mergeRequestBody(
  options: { state?: string; fork?: boolean; sha?: string } = {},
): Record<string, unknown> {
  return {
    id: 9901,
    iid: 42,
    project_id: PROJECT_ID,
    title: "Log in with SSO",
    description: "Adds single sign-on to the login page.",
    state: options.state ?? "opened",
    created_at: "2026-11-02T10:00:00.000Z",
    updated_at: "2026-11-02T10:05:00.000Z",
    merged_by: null,
    merged_at: null,
    closed_by: null,
    closed_at: null,
    target_branch: "main",
    source_branch: "feature/login",
    user_notes_count: 3,
    upvotes: 0,
    downvotes: 0,
    author: user(51, "alex"),
    assignees: [],
    reviewers: [],
    source_project_id: options.fork ? 77 : PROJECT_ID,
    target_project_id: PROJECT_ID,
    labels: ["preview"],
    draft: false,
    work_in_progress: false,
    milestone: null,
    merge_when_pipeline_succeeds: false,
    merge_status: "can_be_merged",
    detailed_merge_status: "mergeable",
    sha: options.sha ?? OTHER_SHA,
    merge_commit_sha: null,
    squash_commit_sha: null,
    discussion_locked: null,
    should_remove_source_branch: null,
    force_remove_source_branch: true,
    reference: "!42",
    references: { short: "!42", relative: "!42", full: "acme/platform/shop!42" },
    web_url: `${HOST}/acme/platform/shop/-/merge_requests/42`,
    squash: false,
    has_conflicts: false,
    blocking_discussions_resolved: true,
  };
}

export function awardEmoji(id: number, name: string): Record<string, unknown> {
  return {
    id,
    name,
    user: BOT,
    created_at: "2026-11-02T10:10:01.000Z",
    updated_at: "2026-11-02T10:10:01.000Z",
    awardable_id: 1244,
    awardable_type: "Note",
  };
}

export const notFound = { message: "404 Not found" };

/**
 * What GitLab serves for `repository/archive.tar.gz?sha=…` (git archive): a pax global header
 * carrying the commit SHA, then everything under one `<project>-<sha>-<sha>/` directory.
 */
export function gitlabArchive(project: string, sha: string, entries: readonly TarEntry[]): Buffer {
  const top = `${project}-${sha}-${sha}`;
  const inside = entries.map((entry) => ({ ...entry, path: `${top}/${entry.path}` }));
  return tarGz([{ path: `${top}/`, type: "Directory" }, ...inside], { comment: sha });
}
