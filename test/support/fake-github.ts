// A small, stateful fake of the GitHub REST API (and codeload) on top of nock, for end-to-end
// tests of the GitHub App. Shaped after GitHub's REST documentation and the objects of
// @octokit/webhooks-examples; it keeps what the app writes (comments, statuses, deployments,
// reactions, downloads) so a test asserts on the outcome, not on a script of calls.
//
// Strict: a request without a route, one GitHub would refuse (bad credentials, a body GitHub
// answers 422 to, a repository the installation cannot see) and any request to another host are
// recorded as problems; assertNoProblems() throws them, so a new call is never silently answered.
// Answers to what GitHub answers too (404 for a user who is no collaborator) are no problem.
import { createHash, createPublicKey, randomBytes, verify, type KeyObject } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import nock from "nock";
import { create as createTar } from "tar";
import { user } from "../unit/forges/github/fixtures.js";

export const GITHUB_API = "https://api.github.com";
export const CODELOAD = "https://codeload.github.com";

const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

type Json = Record<string, unknown>;
type User = Json & { login: string; type: string };
/** [status, body, headers], as nock takes a reply. */
export type Answer = readonly [number, (Json | Json[] | string | Buffer)?, Record<string, string>?];

export interface FakeGitHubOptions {
  app: { id: string; slug: string; publicKey: string | KeyObject };
  /** Installation id → the access token GitHub hands out for it. */
  installations: Record<number, string>;
  /** Start of the fake's clock (timestamps of PRs and comments); default now. */
  now?: Date;
}

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  user: User;
  created_at: string;
  updated_at: string;
  /** Every body the comment had, the first included. */
  history: string[];
}

export interface FakeStatus {
  sha: string;
  state: string;
  context: string;
  description: string | null;
  target_url: string | null;
}

export interface FakeDeploymentStatus {
  id: number;
  state: string;
  description: string;
  log_url: string;
  environment_url: string;
  created_at: string;
}

export interface FakeDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  payload: unknown;
  transient_environment: boolean;
  production_environment: boolean;
  description: string | null;
  created_at: string;
  /** Oldest first. */
  statuses: FakeDeploymentStatus[];
}

/** A check run an app created (POST /repos/:o/:r/check-runs), as it stands after every update. */
export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  details_url: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  started_at: string;
  completed_at: string | null;
  /** Every status[/conclusion] the run had, in order: "in_progress", "completed/success". */
  history: string[];
}

export interface FakeReaction {
  commentId: number;
  content: string;
  user: string;
}

export interface FakePullRequest {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  head: { ref: string; sha: string; fork: boolean };
  /** Every head the PR had, oldest first: its commits as GitHub lists them. */
  commits: string[];
  /** The last push to the head's repository (the fork's, or this repository's). */
  pushed_at: string;
  base: { ref: string };
  user: string;
  /** The author is a GitHub App's bot account (type "Bot"), e.g. renovate[bot]. */
  bot: boolean;
  draft: boolean;
  labels: string[];
  /** The files the PR changes (pulls/:n/files); null: every file of the head's tree. */
  changes: string[] | null;
  created_at: string;
  updated_at: string;
}

export interface SeenRequest {
  method: string;
  url: string;
  status: number;
  body: string;
  /** When it arrived (Date.now()). */
  at: number;
}

/** A fault GitHub shows at times: an error answer instead of (or after) doing what was asked. */
export interface GitHubFault {
  method: string;
  /** Matched against the request's path (without the query string), e.g. /\/issues\/\d+\/comments$/. */
  path: RegExp;
  answer: Answer;
  /** Do what was asked first, then answer `answer`: a 502 or a timeout after GitHub acted. */
  afterActing?: boolean;
  /** With afterActing: never answer at all (GitHub acted, the answer was lost: a timeout). */
  hang?: boolean;
  /** How many matching requests get it; default 1. */
  times?: number;
}

export type Role = "admin" | "maintain" | "write" | "triage" | "read" | "none";

const COMMIT_STATES = new Set(["error", "failure", "pending", "success"]);
const DEPLOYMENT_STATES = new Set(["error", "failure", "inactive", "in_progress", "queued", "pending", "success"]);
const REACTIONS = new Set(["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]);
/** The legacy `permission` GitHub reports for each role (maintain shows as write, triage as read). */
const LEGACY_PERMISSION: Record<Role, string> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
  none: "none",
};
const MAX_COMMENT = 65_536;
const MAX_DESCRIPTION = 140;

// ---- GitHub's JSON ----

function exampleOf(event: string, action: string): Json {
  const found = examples
    .find((e) => e.name === event)
    ?.examples.find((e) => (e as { action?: string }).action === action);
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${event}.${action}`);
  return found as unknown as Json;
}

/** A stable, plausible numeric id for a name. */
function idOf(name: string): number {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) % 90_000_000;
  return 10_000_000 + hash;
}

/** A user object as the REST API embeds it (the same builder the adapter's unit tests use). */
export function gitHubUser(login: string, type: "User" | "Bot" = "User", id = idOf(login)): User {
  return user(login, type, id) as User;
}

/** A label as GitHub shows it on a PR. */
export function labelJson(repo: string, name: string): Json {
  return {
    id: idOf(name),
    node_id: "LA_kwDOlabel",
    url: `${GITHUB_API}/repos/${repo}/labels/${encodeURIComponent(name)}`,
    name,
    color: "ededed",
    default: false,
    description: null,
  };
}

function notFound(): Answer {
  return [404, { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" }];
}

function invalid(resource: string, field: string, message: string): Answer {
  return [
    422,
    {
      message: "Validation Failed",
      errors: [{ resource, code: "custom", field, message }],
      documentation_url: "https://docs.github.com/rest",
      status: "422",
    },
  ];
}

/** GitHub's checks of an optional short description and URL fields, as 422 answers. */
function checkFields(resource: string, body: Json, urls: string[]): Answer | undefined {
  const { description } = body;
  if (typeof description === "string" && description.length > MAX_DESCRIPTION) {
    return invalid(resource, "description", `description is too long (maximum is ${MAX_DESCRIPTION} characters)`);
  }
  const bad = urls.find(
    (field) => body[field] !== undefined && body[field] !== null && !/^https?:\/\//.test(String(body[field])),
  );
  return bad ? invalid(resource, bad, `${bad} must use the http or https scheme`) : undefined;
}

function checkCommentBody(body: unknown): Answer | undefined {
  if (typeof body !== "string" || body === "") return invalid("IssueComment", "body", "body wasn't supplied.");
  if (body.length > MAX_COMMENT)
    return invalid("IssueComment", "body", `Body is too long (maximum is ${MAX_COMMENT} characters)`);
  return undefined;
}

/** GitHub's tarball: everything under one `owner-repo-<sha7>/` directory, gzip-compressed. */
export async function githubTarball(fullName: string, sha: string, files: Record<string, string>): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "fake-github-"));
  try {
    const top = `${fullName.replace("/", "-")}-${sha.slice(0, 7)}`;
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(dir, top, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
    }
    const archive = path.join(dir, "archive.tar.gz");
    await createTar({ gzip: true, file: archive, cwd: dir, portable: true }, [top]);
    return await readFile(archive);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- one repository ----

/** One repository of the fake: what tests do to it (push, open, comment) and what the app did. */
export class FakeRepository {
  readonly owner: string;
  readonly name: string;
  readonly id: number;
  readonly pulls = new Map<number, FakePullRequest>();
  readonly comments: FakeComment[] = [];
  readonly statuses: FakeStatus[] = [];
  readonly deployments: FakeDeployment[] = [];
  readonly checkRuns: FakeCheckRun[] = [];
  readonly reactions: FakeReaction[] = [];
  /** SHAs whose archive was downloaded from codeload, in order. */
  readonly downloads: string[] = [];
  readonly archives = new Map<string, Buffer>();
  /** The file names of each pushed commit, for the files a PR changes. */
  readonly trees = new Map<string, string[]>();
  readonly roles = new Map<string, Role>();
  /** The last push to any branch of this repository (GitHub's `pushed_at`). */
  pushedAt: string;

  constructor(
    private readonly github: FakeGitHub,
    readonly fullName: string,
    readonly installationId: number,
  ) {
    const [owner, name] = fullName.split("/");
    if (!owner || !name) throw new Error(`"${fullName}" is not owner/name`);
    this.owner = owner;
    this.name = name;
    this.id = 200_000_000 + idOf(fullName);
    this.pushedAt = github.tick();
  }

  /** The commit `sha` with these files (path → content), served as GitHub's tarball. */
  async push(sha: string, files: Record<string, string>): Promise<void> {
    this.archives.set(sha, await githubTarball(this.fullName, sha, files));
    this.trees.set(sha, Object.keys(files));
  }

  /** Branch name → head commit, for `GET /repos/:owner/:repo/commits/:ref` ("main" is the default branch). */
  readonly branches = new Map<string, string>();

  /** Pushes `files` as the head of `branch` (another repository's box reads it at its default branch). */
  async pushBranch(branch: string, sha: string, files: Record<string, string>): Promise<void> {
    await this.push(sha, files);
    this.branches.set(branch, sha);
    this.pushedAt = this.github.tick();
  }

  /** A label is added to or removed from the PR (someone with triage rights). */
  setLabel(number: number, name: string, on: boolean): FakePullRequest {
    const pr = this.pull(number);
    pr.labels = on ? [...new Set([...pr.labels, name])] : pr.labels.filter((l) => l !== name);
    pr.updated_at = this.github.tick();
    return pr;
  }

  /** The author marks the draft PR ready for review. */
  markReady(number: number): FakePullRequest {
    const pr = this.pull(number);
    pr.draft = false;
    pr.updated_at = this.github.tick();
    return pr;
  }

  /** The files PR `number` changes, as pulls/:n/files lists them. */
  changedFiles(number: number): string[] {
    const pr = this.pull(number);
    return pr.changes ?? this.trees.get(pr.head.sha) ?? [];
  }

  openPullRequest(
    number: number,
    head: {
      ref: string;
      sha: string;
      fork?: boolean;
      user?: string;
      bot?: boolean;
      draft?: boolean;
      changes?: string[];
    },
  ): FakePullRequest {
    const at = this.github.tick();
    const pr: FakePullRequest = {
      number,
      state: "open",
      merged: false,
      head: { ref: head.ref, sha: head.sha, fork: head.fork ?? false },
      commits: [head.sha],
      pushed_at: at,
      base: { ref: "main" },
      user: head.user ?? "octocat",
      bot: head.bot ?? false,
      draft: head.draft ?? false,
      labels: [],
      changes: head.changes ?? null,
      created_at: at,
      updated_at: at,
    };
    this.pulls.set(number, pr);
    if (!pr.head.fork) this.pushedAt = at;
    return pr;
  }

  /** A push to the PR's branch: its head moves to `sha`. */
  pushToPullRequest(number: number, sha: string): FakePullRequest {
    const pr = this.pull(number);
    pr.head.sha = sha;
    pr.commits.push(sha);
    pr.updated_at = this.github.tick();
    pr.pushed_at = pr.updated_at;
    if (!pr.head.fork) this.pushedAt = pr.updated_at;
    return pr;
  }

  closePullRequest(number: number, options: { merged: boolean }): FakePullRequest {
    const pr = this.pull(number);
    pr.state = "closed";
    pr.merged = options.merged;
    pr.updated_at = this.github.tick();
    return pr;
  }

  pull(number: number): FakePullRequest {
    const pr = this.pulls.get(number);
    if (!pr) throw new Error(`the fake has no pull request #${number} in ${this.fullName}`);
    return pr;
  }

  /** A person comments on the PR, as on github.com: the comment exists, a webhook may follow. */
  comment(number: number, login: string, body: string): FakeComment {
    return this.addComment(number, gitHubUser(login), body);
  }

  setPermission(login: string, role: Role): void {
    this.roles.set(login, role);
  }

  commentsOn(number: number): FakeComment[] {
    return this.comments.filter((c) => c.issue === number);
  }

  /** Comments the app (its bot account) wrote on the PR. */
  botComments(number: number): FakeComment[] {
    return this.commentsOn(number).filter((c) => c.user.login === this.github.botLogin);
  }

  checkRunsOf(sha: string, name = "prbox"): FakeCheckRun[] {
    return this.checkRuns.filter((run) => run.head_sha === sha && run.name === name);
  }

  statusesOf(sha: string, context = "prbox"): FakeStatus[] {
    return this.statuses.filter((s) => s.sha === sha && s.context === context);
  }

  deploymentsOf(environment: string): FakeDeployment[] {
    return this.deployments.filter((d) => d.environment === environment);
  }

  reactionsOn(commentId: number): FakeReaction[] {
    return this.reactions.filter((r) => r.commentId === commentId);
  }

  addComment(issue: number, user: User, body: string): FakeComment {
    const at = this.github.tick();
    const comment: FakeComment = {
      id: this.github.nextId(),
      issue,
      body,
      user,
      created_at: at,
      updated_at: at,
      history: [body],
    };
    this.comments.push(comment);
    return comment;
  }

  // REST representations: GitHub's example objects, moved onto this repository.

  private moved(example: unknown, number?: number): Json {
    let text = JSON.stringify(example).replaceAll("Codertocat/Hello-World", this.fullName);
    if (number !== undefined) text = text.replace(/\/(pull|pulls|issues)\/2\b/g, `/$1/${number}`);
    return JSON.parse(text) as Json;
  }

  repositoryJson(): Json {
    const example = this.moved(exampleOf("pull_request", "opened").repository);
    return {
      ...example,
      id: this.id,
      name: this.name,
      full_name: this.fullName,
      private: true,
      owner: gitHubUser(this.owner),
      default_branch: "main",
      pushed_at: this.pushedAt,
    };
  }

  pullRequestJson(number: number): Json {
    const pr = this.pull(number);
    const example = this.moved(exampleOf("pull_request", "opened").pull_request, number) as Json & {
      head: Json;
      base: Json;
    };
    const base = this.repositoryJson();
    const forkOwner = `${pr.user}-fork`;
    const head = pr.head.fork
      ? {
          ...base,
          id: this.id + 1,
          full_name: `${forkOwner}/${this.name}`,
          owner: gitHubUser(forkOwner),
          fork: true,
          pushed_at: pr.pushed_at,
        }
      : base;
    return {
      ...example,
      number,
      state: pr.state,
      title: `Preview me (#${number})`,
      user: gitHubUser(pr.user, pr.bot ? "Bot" : "User"),
      draft: pr.draft,
      created_at: pr.created_at,
      updated_at: pr.updated_at,
      closed_at: pr.state === "closed" ? pr.updated_at : null,
      merged_at: pr.merged ? pr.updated_at : null,
      merged: pr.merged,
      merge_commit_sha: null,
      labels: pr.labels.map((name) => labelJson(this.fullName, name)),
      head: {
        ...example.head,
        ref: pr.head.ref,
        sha: pr.head.sha,
        label: `${pr.head.fork ? forkOwner : this.owner}:${pr.head.ref}`,
        user: head.owner,
        repo: head,
      },
      base: { ...example.base, ref: pr.base.ref, label: `${this.owner}:${pr.base.ref}`, user: base.owner, repo: base },
    };
  }

  commentJson(comment: FakeComment): Json {
    const api = `${GITHUB_API}/repos/${this.fullName}`;
    return {
      url: `${api}/issues/comments/${comment.id}`,
      html_url: `https://github.com/${this.fullName}/pull/${comment.issue}#issuecomment-${comment.id}`,
      issue_url: `${api}/issues/${comment.issue}`,
      id: comment.id,
      node_id: `IC_kwDO${comment.id}`,
      user: comment.user,
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      author_association: comment.user.type === "Bot" ? "NONE" : "MEMBER",
      body: comment.body,
      reactions: {
        url: `${api}/issues/comments/${comment.id}/reactions`,
        total_count: this.reactionsOn(comment.id).length,
      },
      performed_via_github_app: null,
    };
  }

  deploymentJson(d: FakeDeployment): Json {
    const api = `${GITHUB_API}/repos/${this.fullName}`;
    return {
      url: `${api}/deployments/${d.id}`,
      id: d.id,
      node_id: `DE_kwDO${d.id}`,
      sha: d.sha,
      ref: d.ref,
      task: "deploy",
      payload: d.payload,
      original_environment: d.environment,
      environment: d.environment,
      description: d.description,
      creator: this.github.botUser(),
      created_at: d.created_at,
      updated_at: d.statuses.at(-1)?.created_at ?? d.created_at,
      statuses_url: `${api}/deployments/${d.id}/statuses`,
      repository_url: api,
      transient_environment: d.transient_environment,
      production_environment: d.production_environment,
      performed_via_github_app: null,
    };
  }

  deploymentStatusJson(d: FakeDeployment, s: FakeDeploymentStatus): Json {
    const api = `${GITHUB_API}/repos/${this.fullName}`;
    return {
      url: `${api}/deployments/${d.id}/statuses/${s.id}`,
      id: s.id,
      node_id: `DES_kwDO${s.id}`,
      state: s.state,
      creator: this.github.botUser(),
      description: s.description,
      environment: d.environment,
      target_url: s.log_url,
      log_url: s.log_url,
      environment_url: s.environment_url,
      created_at: s.created_at,
      updated_at: s.created_at,
      deployment_url: `${api}/deployments/${d.id}`,
      repository_url: api,
      performed_via_github_app: null,
    };
  }
}

// ---- routes ----

interface Request {
  method: string;
  url: URL;
  headers: Headers;
  body: Json;
}

type Params = Record<string, string>;
type Handler = (req: Request, params: Params) => Answer | Promise<Answer>;
type RepoHandler = (repo: FakeRepository, req: Request, params: Params) => Answer | Promise<Answer>;

/** What the route groups below need from the fake. */
interface Routes {
  on(method: string, pattern: string, handler: Handler): void;
  /** A route on a repository the caller's installation can see (GitHub hides the others: 404). */
  onRepo(method: string, pattern: string, handler: RepoHandler): void;
  github: FakeGitHub;
  /** A list answer with GitHub's pagination (per_page, page, Link header with /repositories/:id URLs). */
  page(req: Request, items: Json[], repo: FakeRepository, resource: string): Answer;
}

function appRoutes(r: Routes, installations: Record<number, string>, app: FakeGitHubOptions["app"]): void {
  r.on("GET", "/app", (req) => {
    const refused = r.github.verifyJwt(req.headers.get("authorization"));
    if (refused) return refused;
    const owner = gitHubUser("acme", "User");
    return [
      200,
      {
        id: Number(app.id),
        slug: app.slug,
        node_id: "A_kwHOAA",
        client_id: "Iv1.8a61f9b3a7aba766",
        owner,
        name: app.slug,
        description: "",
        external_url: "https://acme.dev",
        html_url: `https://github.com/apps/${app.slug}`,
        created_at: "2026-01-01T00:00:00Z",
        updated_at: "2026-01-01T00:00:00Z",
        permissions: {},
        events: [],
      },
    ];
  });
  r.on("POST", "/app/installations/:id/access_tokens", (req, { id }) => {
    const refused = r.github.verifyJwt(req.headers.get("authorization"));
    if (refused) return refused;
    const token = installations[Number(id)];
    if (!token) return notFound();
    const expires = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const permissions = {
      contents: "read",
      deployments: "write",
      issues: "write",
      metadata: "read",
      pull_requests: "write",
      statuses: "write",
      checks: "write",
    };
    return [201, { token, expires_at: expires, permissions, repository_selection: "selected" }];
  });
}

function commentRoutes(r: Routes): void {
  r.onRepo("GET", "/repos/:owner/:repo/issues/:number/comments", (repo, req, { number }) =>
    r.page(
      req,
      repo.commentsOn(Number(number)).map((c) => repo.commentJson(c)),
      repo,
      `issues/${number}/comments`,
    ),
  );
  r.onRepo("POST", "/repos/:owner/:repo/issues/:number/comments", (repo, req, { number }) => {
    const refused = checkCommentBody(req.body.body);
    if (refused) return refused;
    if (!repo.pulls.has(Number(number))) return notFound();
    return [201, repo.commentJson(repo.addComment(Number(number), r.github.botUser(), String(req.body.body)))];
  });
  r.onRepo("PATCH", "/repos/:owner/:repo/issues/comments/:id", (repo, req, { id }) => {
    const comment = repo.comments.find((c) => c.id === Number(id));
    if (!comment) return notFound();
    const refused = checkCommentBody(req.body.body);
    if (refused) return refused;
    comment.body = String(req.body.body);
    comment.updated_at = r.github.tick();
    comment.history.push(comment.body);
    return [200, repo.commentJson(comment)];
  });
  r.onRepo("POST", "/repos/:owner/:repo/issues/comments/:id/reactions", (repo, req, { id }) => {
    const comment = repo.comments.find((c) => c.id === Number(id));
    if (!comment) return notFound();
    const content = String(req.body.content);
    if (!REACTIONS.has(content)) return invalid("Reaction", "content", "content is not included in the list");
    const user = r.github.botLogin;
    const existing = repo.reactions.some((x) => x.commentId === comment.id && x.content === content && x.user === user);
    if (!existing) repo.reactions.push({ commentId: comment.id, content, user });
    // GitHub answers 200 for a reaction the user already gave, 201 for a new one.
    return [
      existing ? 200 : 201,
      { id: r.github.nextId(), node_id: "REA_lALO", user: r.github.botUser(), content, created_at: r.github.tick() },
    ];
  });
}

function statusRoutes(r: Routes): void {
  r.onRepo("POST", "/repos/:owner/:repo/statuses/:sha", (repo, req, { sha = "" }) => {
    const { state, description, target_url: targetUrl, context } = req.body;
    if (!repo.archives.has(sha)) return invalid("Status", "sha", `No commit found for SHA: ${sha}`);
    if (typeof state !== "string" || !COMMIT_STATES.has(state))
      return invalid("Status", "state", "state is not included in the list");
    const refused = checkFields("Status", req.body, ["target_url"]);
    if (refused) return refused;
    const status: FakeStatus = {
      sha,
      state,
      context: typeof context === "string" ? context : "default",
      description: typeof description === "string" ? description : null,
      target_url: typeof targetUrl === "string" ? targetUrl : null,
    };
    repo.statuses.push(status);
    const at = r.github.tick();
    return [
      201,
      {
        url: `${GITHUB_API}/repos/${repo.fullName}/statuses/${sha}`,
        id: r.github.nextId(),
        node_id: "SC_kwDO",
        ...status,
        created_at: at,
        updated_at: at,
        creator: r.github.botUser(),
      },
    ];
  });
}

const CHECK_STATUSES = new Set(["queued", "in_progress", "completed"]);
const CHECK_CONCLUSIONS = new Set([
  "action_required",
  "cancelled",
  "failure",
  "neutral",
  "success",
  "skipped",
  "stale",
  "timed_out",
]);

/** What GitHub refuses in a check run's body (docs: "Create a check run", "Update a check run"). */
function checkRunRefusal(body: Json): Answer | undefined {
  const status = body.status ?? "queued";
  if (typeof status !== "string" || !CHECK_STATUSES.has(status))
    return invalid("CheckRun", "status", "status is not included in the list");
  if (body.conclusion !== undefined && !CHECK_CONCLUSIONS.has(String(body.conclusion)))
    return invalid("CheckRun", "conclusion", "conclusion is not included in the list");
  if (status === "completed" && body.conclusion === undefined)
    return invalid("CheckRun", "conclusion", "conclusion can't be blank when status is completed");
  const output = body.output as Json | undefined;
  if (output !== undefined && (typeof output.title !== "string" || typeof output.summary !== "string"))
    return invalid("CheckRun", "output", "output needs a title and a summary");
  if (typeof output?.summary === "string" && output.summary.length > 65_535)
    return invalid("CheckRun", "output.summary", "summary is too long (maximum is 65535 characters)");
  return checkFields("CheckRun", body, ["details_url"]);
}

function applyCheckRun(run: FakeCheckRun, body: Json, at: string): void {
  if (typeof body.status === "string") run.status = body.status;
  if (typeof body.conclusion === "string") {
    run.conclusion = body.conclusion;
    run.status = "completed";
  }
  if (run.status === "completed") run.completed_at ??= at;
  if (typeof body.details_url === "string") run.details_url = body.details_url;
  const output = body.output as Json | undefined;
  if (output)
    run.output = {
      title: String(output.title),
      summary: String(output.summary),
      text: typeof output.text === "string" ? output.text : null,
    };
  run.history.push(run.conclusion ? `${run.status}/${run.conclusion}` : run.status);
}

function checkRunRoutes(r: Routes): void {
  const json = (repo: FakeRepository, run: FakeCheckRun): Json => ({
    ...run,
    history: undefined,
    node_id: "CR_kwDO",
    external_id: "",
    url: `${GITHUB_API}/repos/${repo.fullName}/check-runs/${String(run.id)}`,
    html_url: `https://github.com/${repo.fullName}/runs/${String(run.id)}`,
    check_suite: { id: 5_000_000 + run.id },
    app: { id: Number(r.github.appId), slug: r.github.botLogin.replace(/\[bot\]$/, ""), owner: null },
    pull_requests: [],
  });
  r.onRepo("POST", "/repos/:owner/:repo/check-runs", (repo, req) => {
    const { name, head_sha: sha } = req.body;
    if (typeof name !== "string" || name === "") return invalid("CheckRun", "name", "name can't be blank");
    if (typeof sha !== "string" || !repo.archives.has(sha)) return invalid("CheckRun", "head_sha", "No commit found");
    const refused = checkRunRefusal(req.body);
    if (refused) return refused;
    const at = r.github.tick();
    const run: FakeCheckRun = {
      id: r.github.nextId(),
      name,
      head_sha: sha,
      status: "queued",
      conclusion: null,
      details_url: null,
      output: { title: null, summary: null, text: null },
      started_at: at,
      completed_at: null,
      history: [],
    };
    applyCheckRun(run, req.body, at);
    repo.checkRuns.push(run);
    return [201, json(repo, run)];
  });
  r.onRepo("PATCH", "/repos/:owner/:repo/check-runs/:id", (repo, req, { id }) => {
    const run = repo.checkRuns.find((c) => c.id === Number(id));
    if (!run) return notFound();
    const refused = checkRunRefusal({ status: run.status, conclusion: run.conclusion ?? undefined, ...req.body });
    if (refused) return refused;
    applyCheckRun(run, req.body, r.github.tick());
    return [200, json(repo, run)];
  });
  r.onRepo("GET", "/repos/:owner/:repo/commits/:ref/check-runs", (repo, req, { ref = "" }) => {
    const name = req.url.searchParams.get("check_name");
    const runs = repo.checkRuns.filter((c) => c.head_sha === ref && (name === null || c.name === name));
    // filter=latest (the default): the newest run of each name.
    const latest = [...runs].reverse().filter((c, i, all) => all.findIndex((o) => o.name === c.name) === i);
    const all = req.url.searchParams.get("filter") === "all" ? [...runs].reverse() : latest;
    return [200, { total_count: all.length, check_runs: all.map((c) => json(repo, c)) }];
  });
}

/** auto_inactive (GitHub's default): earlier successful deployments of a persistent environment go inactive. */
function autoInactive(repo: FakeRepository, deployment: FakeDeployment, github: FakeGitHub): void {
  for (const other of repo.deployments) {
    if (
      other === deployment ||
      other.environment !== deployment.environment ||
      other.transient_environment ||
      other.production_environment
    )
      continue;
    if (other.statuses.at(-1)?.state !== "success") continue;
    other.statuses.push({
      id: github.nextId(),
      state: "inactive",
      description: "",
      log_url: "",
      environment_url: "",
      created_at: github.tick(),
    });
  }
}

function deploymentRoutes(r: Routes): void {
  r.onRepo("GET", "/repos/:owner/:repo/deployments", (repo, req) => {
    const q = req.url.searchParams;
    const wanted = (d: FakeDeployment) =>
      (!q.has("sha") || d.sha === q.get("sha")) &&
      (!q.has("ref") || d.ref === q.get("ref")) &&
      (!q.has("environment") || d.environment === q.get("environment"));
    const newestFirst = [...repo.deployments].reverse().filter(wanted);
    return r.page(
      req,
      newestFirst.map((d) => repo.deploymentJson(d)),
      repo,
      "deployments",
    );
  });
  r.onRepo("POST", "/repos/:owner/:repo/deployments", (repo, req) => {
    const { ref, environment, payload, description } = req.body;
    if (typeof ref !== "string" || !repo.archives.has(ref))
      return invalid("Deployment", "ref", `No ref found for: ${String(ref)}`);
    const refused = checkFields("Deployment", req.body, []);
    if (refused) return refused;
    const deployment: FakeDeployment = {
      id: r.github.nextId(),
      sha: ref,
      ref,
      environment: typeof environment === "string" ? environment : "production",
      payload: payload ?? {},
      transient_environment: req.body.transient_environment === true,
      production_environment: req.body.production_environment === true,
      description: typeof description === "string" ? description : null,
      created_at: r.github.tick(),
      statuses: [],
    };
    repo.deployments.push(deployment);
    return [201, repo.deploymentJson(deployment)];
  });
  r.onRepo("GET", "/repos/:owner/:repo/deployments/:id/statuses", (repo, req, { id }) => {
    const deployment = repo.deployments.find((d) => d.id === Number(id));
    if (!deployment) return notFound();
    const newestFirst = [...deployment.statuses].reverse().map((s) => repo.deploymentStatusJson(deployment, s));
    return r.page(req, newestFirst, repo, `deployments/${id}/statuses`);
  });
  r.onRepo("POST", "/repos/:owner/:repo/deployments/:id/statuses", (repo, req, { id }) => {
    const deployment = repo.deployments.find((d) => d.id === Number(id));
    if (!deployment) return notFound();
    const { state, description, log_url: logUrl, environment_url: environmentUrl } = req.body;
    if (typeof state !== "string" || !DEPLOYMENT_STATES.has(state))
      return invalid("DeploymentStatus", "state", "state is not included in the list");
    const refused = checkFields("DeploymentStatus", req.body, ["log_url", "environment_url"]);
    if (refused) return refused;
    const text = (value: unknown) => (typeof value === "string" ? value : "");
    const status = {
      id: r.github.nextId(),
      state,
      description: text(description),
      log_url: text(logUrl),
      environment_url: text(environmentUrl),
      created_at: r.github.tick(),
    };
    deployment.statuses.push(status);
    if (state === "success" && req.body.auto_inactive !== false) autoInactive(repo, deployment, r.github);
    return [201, repo.deploymentStatusJson(deployment, status)];
  });
}

function sourceRoutes(r: Routes, grants: Map<string, { repo: string; sha: string }>): void {
  r.onRepo("GET", "/repos/:owner/:repo", (repo) => [200, repo.repositoryJson()]);
  // A branch name or a pushed commit; GitHub answers 422 to anything else.
  r.onRepo("GET", "/repos/:owner/:repo/commits/:ref", (repo, _req, { ref = "" }) => {
    const sha = repo.branches.get(ref) ?? (repo.archives.has(ref) ? ref : undefined);
    if (sha === undefined)
      return [
        422,
        {
          message: `No commit found for SHA: ${ref}`,
          documentation_url: "https://docs.github.com/rest",
          status: "422",
        },
      ];
    return [
      200,
      { sha, node_id: `C_${sha.slice(0, 12)}`, commit: { message: "a commit", tree: { sha } }, parents: [] },
    ];
  });
  // GitHub answers with a redirect to codeload carrying a short-lived token in the query.
  r.onRepo("GET", "/repos/:owner/:repo/tarball/:ref", (repo, _req, { ref = "" }) => {
    if (!repo.archives.has(ref)) return notFound();
    const token = `A${randomBytes(16).toString("hex").toUpperCase()}`;
    grants.set(token, { repo: repo.fullName, sha: ref });
    r.github.credentials.add(token);
    return [
      302,
      "",
      {
        location: `${CODELOAD}/${repo.fullName}/legacy.tar.gz/${ref}?token=${token}`,
        "content-type": "text/html;charset=utf-8",
      },
    ];
  });
  r.on("GET", "codeload:/:owner/:repo/legacy.tar.gz/:ref", (req, { owner, repo: name, ref = "" }) => {
    if (req.headers.has("authorization"))
      r.github.problems.push(
        "an Authorization header was sent to codeload (the installation token must stay with the API)",
      );
    const grant = grants.get(req.url.searchParams.get("token") ?? "");
    const repo = r.github.repositories.get(`${owner}/${name}`.toLowerCase());
    const archive = repo?.archives.get(ref);
    if (!grant || !repo || !archive || grant.repo !== repo.fullName || grant.sha !== ref)
      return [404, "404: Not Found", { "content-type": "text/plain" }];
    repo.downloads.push(ref);
    const filename = `${repo.fullName.replace("/", "-")}-${ref.slice(0, 7)}.tar.gz`;
    return [
      200,
      archive,
      { "content-type": "application/x-gzip", "content-disposition": `attachment; filename=${filename}` },
    ];
  });
}

function peopleRoutes(r: Routes): void {
  r.onRepo("GET", "/repos/:owner/:repo/collaborators/:user/permission", (repo, _req, { user = "" }) => {
    const role = repo.roles.get(user);
    if (role === undefined) return notFound();
    const permissions = {
      admin: role === "admin",
      maintain: role === "admin" || role === "maintain",
      push: role === "admin" || role === "maintain" || role === "write",
      triage: role !== "read" && role !== "none",
      pull: role !== "none",
    };
    return [
      200,
      {
        permission: LEGACY_PERMISSION[role],
        role_name: role,
        user: { ...gitHubUser(user), permissions, role_name: role },
      },
    ];
  });
  r.onRepo("GET", "/repos/:owner/:repo/pulls/:number", (repo, _req, { number }) =>
    repo.pulls.has(Number(number)) ? [200, repo.pullRequestJson(Number(number))] : notFound(),
  );
  r.onRepo("GET", "/repos/:owner/:repo/pulls/:number/files", (repo, req, { number }) => {
    if (!repo.pulls.has(Number(number))) return notFound();
    const files = repo.changedFiles(Number(number)).map((filename) => ({
      sha: "bbcd538c8e72b8c175046e27cc8f907076331401",
      filename,
      status: "modified",
      additions: 1,
      deletions: 1,
      changes: 2,
      blob_url: `https://github.com/${repo.fullName}/blob/main/${filename}`,
      raw_url: `https://github.com/${repo.fullName}/raw/main/${filename}`,
      contents_url: `${GITHUB_API}/repos/${repo.fullName}/contents/${filename}`,
      patch: "@@ -1 +1 @@",
    }));
    return r.page(req, files, repo, `pulls/${number}/files`);
  });
  r.onRepo("GET", "/repos/:owner/:repo/pulls/:number/commits", (repo, req, { number }) => {
    const pr = repo.pulls.get(Number(number));
    if (!pr) return notFound();
    const commits = pr.commits.map((sha) => ({
      sha,
      node_id: "C_kwDO",
      commit: { message: `commit ${sha.slice(0, 7)}` },
      parents: [],
    }));
    return r.page(req, commits, repo, `pulls/${number}/commits`);
  });
}

/** What the resync lists: the app's installations, an installation's repositories, a repository's PRs. */
function listingRoutes(r: Routes, installations: Record<number, string>): void {
  r.on("GET", "/app/installations", (req) => {
    const refused = r.github.verifyJwt(req.headers.get("authorization"));
    if (refused) return refused;
    const items = Object.keys(installations).map((id) => ({
      id: Number(id),
      account: gitHubUser("acme", "User"),
      app_id: Number(r.github.appId),
      target_type: "Organization",
      repository_selection: "selected",
    }));
    return pageOf(req, items, "app/installations");
  });
  r.on("GET", "/installation/repositories", (req) => {
    const installation = r.github.installationOfToken(req.headers.get("authorization"));
    if (typeof installation !== "number") return installation;
    const repos = [...r.github.repositories.values()]
      .filter((repo) => repo.installationId === installation)
      .map((repo) => repo.repositoryJson());
    const [status, items, headers] = pageOf(req, repos, "installation/repositories");
    return [status, { total_count: repos.length, repository_selection: "selected", repositories: items }, headers];
  });
  // The App (JWT) asks which installation holds a repository; 404 when the App is not installed there.
  r.on("GET", "/repos/:owner/:repo/installation", (req, { owner, repo: name }) => {
    const refused = r.github.verifyJwt(req.headers.get("authorization"));
    if (refused) return refused;
    const repo = r.github.repositories.get(`${owner}/${name}`.toLowerCase());
    return repo
      ? [
          200,
          {
            id: repo.installationId,
            account: gitHubUser(repo.owner),
            app_id: Number(r.github.appId),
            repository_selection: "selected",
          },
        ]
      : notFound();
  });
  r.onRepo("GET", "/repos/:owner/:repo/pulls", (repo, req) => {
    const state = req.url.searchParams.get("state") ?? "open";
    const numbers = [...repo.pulls.values()]
      .filter((pr) => state === "all" || pr.state === state)
      .map((pr) => pr.number);
    // GitHub's default order: newest first.
    return r.page(
      req,
      numbers.reverse().map((n) => repo.pullRequestJson(n)),
      repo,
      "pulls",
    );
  });
}

// ---- the fake ----

/** The fake GitHub: repositories, credentials, and the nock interceptors that answer for it. */
export class FakeGitHub {
  readonly repositories = new Map<string, FakeRepository>();
  /** Everything asked of GitHub and codeload, in order. */
  readonly requests: SeenRequest[] = [];
  /** Requests GitHub would not have answered like this, requests without a route, other hosts. */
  readonly problems: string[] = [];
  /** Every credential seen or handed out (JWTs, installation tokens, codeload tokens): none may leak. */
  readonly credentials = new Set<string>();
  readonly botLogin: string;
  private readonly publicKey: KeyObject;
  private clock: number;
  private ids = 1_900_000_000;
  private readonly interceptors: nock.Interceptor[] = [];
  private readonly faults: GitHubFault[] = [];
  private readonly routes: { method: string; pattern: RegExp; handler: Handler }[] = [];
  private readonly onNoMatch = (request: unknown) => {
    if (!(request instanceof globalThis.Request)) return;
    const host = new URL(request.url).hostname;
    if (host !== "127.0.0.1" && host !== "localhost")
      this.problems.push(`a request to a host nobody fakes: ${request.method} ${request.url}`);
  };

  constructor(private readonly options: FakeGitHubOptions) {
    this.publicKey =
      typeof options.app.publicKey === "string" ? createPublicKey(options.app.publicKey) : options.app.publicKey;
    this.botLogin = `${options.app.slug}[bot]`;
    this.clock = (options.now ?? new Date()).getTime();
    for (const token of Object.values(options.installations)) this.credentials.add(token);
    const routes: Routes = {
      github: this,
      on: (method, pattern, handler) => this.on(method, pattern, handler),
      onRepo: (method, pattern, handler) =>
        this.on(method, pattern, (req, params) => this.withRepository(req, params, handler)),
      page: (req, items, repo, resource) => paginate(req, items, repo, resource),
    };
    appRoutes(routes, options.installations, options.app);
    commentRoutes(routes);
    statusRoutes(routes);
    checkRunRoutes(routes);
    deploymentRoutes(routes);
    sourceRoutes(routes, new Map());
    peopleRoutes(routes);
    listingRoutes(routes, options.installations);
  }

  /** Starts answering https://api.github.com and https://codeload.github.com; nothing else leaves the machine. */
  start(): this {
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
    nock.emitter.on("no match", this.onNoMatch);
    for (const method of ["GET", "POST", "PATCH", "PUT", "DELETE"]) {
      for (const origin of [GITHUB_API, CODELOAD]) {
        const interceptor = nock(origin)
          .persist()
          .intercept(() => true, method);
        interceptor.reply((request: globalThis.Request) => this.handle(request, origin));
        this.interceptors.push(interceptor);
      }
    }
    return this;
  }

  /** Removes the fake's interceptors and listener (nothing else of nock's). */
  stop(): void {
    for (const interceptor of this.interceptors.splice(0)) nock.removeInterceptor(interceptor);
    nock.emitter.removeListener("no match", this.onNoMatch);
  }

  addRepository(fullName: string, installationId: number): FakeRepository {
    if (!(installationId in this.options.installations))
      throw new Error(`the fake has no installation ${installationId}`);
    const repo = new FakeRepository(this, fullName, installationId);
    this.repositories.set(fullName.toLowerCase(), repo);
    return repo;
  }

  assertNoProblems(): void {
    if (this.problems.length > 0)
      throw new Error(
        `the fake GitHub saw requests GitHub would not answer like this:\n  ${this.problems.join("\n  ")}`,
      );
  }

  /** The fake's clock: every call is one second later, so GitHub's timestamps keep their order. */
  tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  nextId(): number {
    this.ids += 1 + Math.floor(Math.random() * 7);
    return this.ids;
  }

  botUser(): User {
    return gitHubUser(this.botLogin, "Bot", 185_735_514);
  }

  get appId(): string {
    return this.options.app.id;
  }

  /** The installation an installation token belongs to, or the 401 GitHub answers. */
  installationOfToken(authorization: string | null): number | Answer {
    return this.installationOf({
      method: "GET",
      url: new URL(GITHUB_API),
      headers: new Headers(authorization ? { authorization } : {}),
      body: {},
    });
  }

  /** null when the `Authorization: Bearer <JWT>` is the app's (RS256 with its key, iss = app id, not expired). */
  verifyJwt(authorization: string | null): Answer | null {
    const jwt = /^bearer (.+)$/i.exec(authorization ?? "")?.[1];
    const refuse = (message: string): Answer => [
      401,
      { message, documentation_url: "https://docs.github.com/rest", status: "401" },
    ];
    if (!jwt) return refuse("A JSON web token could not be decoded");
    this.credentials.add(jwt);
    const [head, payload, signature] = jwt.split(".");
    if (!head || !payload || !signature) return refuse("A JSON web token could not be decoded");
    if (!verify("RSA-SHA256", Buffer.from(`${head}.${payload}`), this.publicKey, Buffer.from(signature, "base64url"))) {
      return refuse("A JSON web token could not be decoded");
    }
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iss?: unknown; exp?: unknown };
    if (String(claims.iss) !== this.options.app.id) return refuse("'Issuer' claim ('iss') must be the app's id");
    if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now())
      return refuse("'Expiration time' claim ('exp') must be a numeric value in the future");
    return null;
  }

  private on(method: string, pattern: string, handler: Handler): void {
    const source = pattern.replace(/[.]/g, "\\.").replace(/:([a-z_]+)/g, (_, name: string) => `(?<${name}>[^/]+)`);
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), handler });
  }

  /** Makes the next matching requests fail as `fault` says (test/resilience). */
  inject(fault: GitHubFault): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  private takeFault(method: string, pathname: string): GitHubFault | undefined {
    const fault = this.faults.find((f) => (f.times ?? 0) > 0 && f.method === method && f.path.test(pathname));
    if (fault) fault.times = (fault.times ?? 1) - 1;
    return fault;
  }

  /** Answers one request to `origin` (GITHUB_API or CODELOAD); nock's interceptors and serveFakeGitHub call it. */
  async handle(request: globalThis.Request, origin: string): Promise<Answer> {
    const url = new URL(request.url);
    const text = request.method === "GET" ? "" : await request.text();
    const seen: SeenRequest = {
      method: request.method,
      url: `${origin}${url.pathname}${url.search}`,
      status: 0,
      body: text,
      at: Date.now(),
    };
    this.requests.push(seen);
    let body: Json = {};
    try {
      if (text !== "") body = JSON.parse(text) as Json;
    } catch {
      body = { unparsable: text };
    }
    const fault = this.takeFault(request.method, url.pathname);
    let answer: Answer;
    if (fault && !fault.afterActing) answer = fault.answer;
    else if ("unparsable" in body) answer = [400, { message: "Problems parsing JSON" }];
    else answer = await this.route({ method: request.method, url, headers: request.headers, body }, origin);
    if (fault?.afterActing) answer = fault.answer;
    if (fault?.hang) await new Promise(() => {});
    if (request.method === "GET" && origin === GITHUB_API)
      answer = conditional(answer, request.headers.get("if-none-match"));
    seen.status = answer[0];
    if (isProblem(request.method, answer))
      this.problems.push(`${seen.method} ${seen.url} → ${answer[0]} ${JSON.stringify(answer[1])}`);
    return answer;
  }

  private route(req: Request, origin: string): Answer | Promise<Answer> {
    // Link headers point at /repositories/:id/...: the same resources.
    const pathname = req.url.pathname.replace(/^\/repositories\/(\d+)\//, (_, id: string) => {
      const repo = [...this.repositories.values()].find((r) => r.id === Number(id));
      return `/repos/${repo?.fullName ?? "-/-"}/`;
    });
    const target = `${origin === CODELOAD ? "codeload:" : ""}${pathname}`;
    for (const route of this.routes) {
      const match = route.method === req.method ? route.pattern.exec(target) : null;
      if (match) return route.handler(req, match.groups ?? {});
    }
    return [501, { message: `the fake GitHub has no route for ${req.method} ${origin}${req.url.pathname}` }];
  }

  /** The installation an access token belongs to, or the 401 GitHub answers. */
  private installationOf(req: Request): number | Answer {
    const [scheme, token] = (req.headers.get("authorization") ?? "").split(" ");
    if (!token || !/^(token|bearer)$/i.test(scheme ?? ""))
      return [401, { message: "Requires authentication", status: "401" }];
    const found = Object.entries(this.options.installations).find(([, t]) => t === token);
    return found ? Number(found[0]) : [401, { message: "Bad credentials", status: "401" }];
  }

  private withRepository(req: Request, params: Params, handler: RepoHandler): Answer | Promise<Answer> {
    const installation = this.installationOf(req);
    if (typeof installation !== "number") return installation;
    const repo = this.repositories.get(`${params.owner}/${params.repo}`.toLowerCase());
    if (!repo || repo.installationId !== installation) {
      // GitHub's answer, but in these tests always a wrong address or installation in the app.
      this.problems.push(
        `${req.method} ${req.url.pathname}: installation ${installation} has no repository ${params.owner}/${params.repo}`,
      );
      return notFound();
    }
    return handler(repo, req, params);
  }
}

function paginate(req: Request, items: Json[], repo: FakeRepository, resource: string): Answer {
  const perPage = Math.min(100, Number(req.url.searchParams.get("per_page") ?? 30) || 30);
  const page = Math.max(1, Number(req.url.searchParams.get("page") ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number, rel: string) => {
    const url = new URL(`${GITHUB_API}/repositories/${repo.id}/${resource}`);
    for (const [key, value] of req.url.searchParams) if (key !== "page") url.searchParams.set(key, value);
    url.searchParams.set("page", String(p));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links = [
    ...(page < last ? [link(page + 1, "next"), link(last, "last")] : []),
    ...(page > 1 ? [link(1, "first"), link(page - 1, "prev")] : []),
  ];
  return [200, items.slice((page - 1) * perPage, page * perPage), links.length > 0 ? { link: links.join(", ") } : {}];
}

/** A list answer with GitHub's pagination for resources outside a repository (the Link header's URLs keep the path). */
function pageOf(req: Request, items: Json[], resource: string): Answer {
  const perPage = Math.min(100, Number(req.url.searchParams.get("per_page") ?? 30) || 30);
  const page = Math.max(1, Number(req.url.searchParams.get("page") ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const url = new URL(`${GITHUB_API}/${resource}`);
  for (const [key, value] of req.url.searchParams) url.searchParams.set(key, value);
  url.searchParams.set("page", String(page + 1));
  return [
    200,
    items.slice((page - 1) * perPage, page * perPage),
    page < last ? { link: `<${url.toString()}>; rel="next"` } : {},
  ];
}

/**
 * GitHub's conditional requests: every 200 answer to a GET carries an ETag (a digest of the body),
 * and a GET whose If-None-Match names the current one is answered 304 without a body (which
 * GitHub does not count against the rate limit).
 */
function conditional(answer: Answer, ifNoneMatch: string | null): Answer {
  const [status, body, headers = {}] = answer;
  if (status !== 200 || body === undefined || Buffer.isBuffer(body)) return answer;
  const etag = `W/"${createHash("sha256")
    .update(typeof body === "string" ? body : JSON.stringify(body))
    .digest("hex")
    .slice(0, 40)}"`;
  if (ifNoneMatch === etag) return [304, "", { ...headers, etag }];
  return [status, body, { ...headers, etag }];
}

export function startFakeGitHub(options: FakeGitHubOptions): FakeGitHub {
  return new FakeGitHub(options).start();
}

/**
 * An answer GitHub gives only to a request it refuses. Reading a ref a repository does not have
 * (a box's `ref`) is normal operation; writing a status on an unknown commit is not.
 */
function isProblem(method: string, [status, body]: Answer): boolean {
  const unknownRef = method === "GET" && status === 422 && /"No commit found for SHA: /.test(JSON.stringify(body));
  return [400, 401, 422, 501].includes(status) && !unknownRef;
}
