// A small, stateful fake of the GitLab REST API (v4) on top of nock, for end-to-end tests of the
// GitLab side: the GitLab counterpart of fake-github.ts. Shaped after GitLab's API documentation
// (Notes, Commits, Environments, Members, Users, Merge requests, Award emoji, Repositories,
// Pipelines, Jobs) and its webhook documentation (fixtures/gitlab/); it keeps what prbox writes (notes with their
// edits, commit statuses, environments, award emoji, archive downloads) so a test asserts on the
// outcome, not on a script of calls.
//
// Strict like fake-github.ts: a request without a route, one GitLab would refuse (a wrong token,
// deleting an environment that is not stopped, a status without a ref GitLab can find) and any
// request to another host are recorded as problems; assertNoProblems() throws them. Answers
// GitLab gives in normal operation (404 for a non-member, 400 for a status already in that state)
// are no problem.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nock from "nock";
import { tarGz } from "../unit/forges/support/tarball.js";

export const GITLAB_URL = "https://gitlab.example.com";
const API = "/api/v4";

const FIXTURES = fileURLToPath(new URL("../../fixtures/gitlab/", import.meta.url));

type Json = Record<string, unknown>;
/** [status, body, headers], as nock takes a reply. */
type Answer = readonly [number, (Json | Json[] | string | Buffer)?, Record<string, string>?];

/** GitLab's access levels (Members API). */
export const ACCESS = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;

export interface GitLabUser {
  id: number;
  username: string;
}

export interface FakeNote {
  id: number;
  iid: number;
  body: string;
  author: GitLabUser;
  system: boolean;
  created_at: string;
  updated_at: string;
  /** Every body the note had, the first included. */
  history: string[];
}

/** One accepted change of a commit status (GitLab keeps one job per name and ref; this is its history). */
export interface FakeStatus {
  sha: string;
  ref: string;
  name: string;
  status: string;
  description: string | null;
  target_url: string | null;
}

export interface FakeEnvironment {
  id: number;
  name: string;
  state: "available" | "stopped";
  external_url: string | null;
  tier: string;
  /** Deleted through the API (kept here so tests see what happened). */
  removed: boolean;
}

export interface FakeAward {
  noteId: number;
  name: string;
  user: string;
}

export interface FakeMergeRequest {
  iid: number;
  state: "opened" | "closed" | "merged";
  source_branch: string;
  sha: string;
  /** The SHA before the last push, for the next update hook's `oldrev`. */
  oldrev: string | null;
  fork: boolean;
  author: string;
  title: string;
  draft: boolean;
  labels: string[];
  /** The files the MR changes (its diffs); null: every file of the head's tree. */
  changes: string[] | null;
  created_at: string;
  updated_at: string;
  /** One diff version per push, oldest first (GitLab's MR diff versions). */
  versions: { id: number; head_commit_sha: string; created_at: string }[];
}

/** A CI job of a fake pipeline; a test moves it through GitLab's job statuses. */
export interface FakeJob {
  id: number;
  name: string;
  stage: string;
  status: string;
  allow_failure: boolean;
}

/** A pipeline on a commit: a branch pipeline, or a merge request pipeline (`mergeRequest` set). */
export interface FakePipeline {
  id: number;
  iid: number;
  sha: string;
  /** The branch; for a merge request pipeline the MR's source branch (what GitLab's hook calls ref). */
  ref: string;
  mergeRequest: number | null;
  jobs: FakeJob[];
}

export interface SeenRequest {
  method: string;
  url: string;
  status: number;
  body: string;
}

const STATUS_STATES = new Set(["pending", "running", "success", "failed", "canceled", "skipped"]);
const FINISHED = new Set(["success", "failed", "canceled", "skipped"]);
const MAX_NOTE = 1_000_000;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), "utf8")) as Json;
}

/** A stable, plausible numeric id for a name. */
function idOf(name: string): number {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) % 9_000_000;
  return 1_000 + hash;
}

function notFound(what = ""): Answer {
  return [404, { message: `404 ${what ? `${what} ` : ""}Not Found` }];
}

function badRequest(message: Json | string): Answer {
  return [400, { message }];
}

// ---- one project ----

/** One project of the fake: what tests do to it (push, open, comment) and what prbox did. */
export class FakeProject {
  readonly id: number;
  readonly name: string;
  readonly mergeRequests = new Map<number, FakeMergeRequest>();
  readonly notes: FakeNote[] = [];
  readonly statuses: FakeStatus[] = [];
  readonly environments: FakeEnvironment[] = [];
  readonly awards: FakeAward[] = [];
  /** SHAs whose archive was downloaded, in order. */
  readonly downloads: string[] = [];
  readonly archives = new Map<string, Buffer>();
  /** The file names of each pushed commit, for the files a merge request changes. */
  readonly trees = new Map<string, string[]>();
  /** username → access level; absent: no member. */
  readonly members = new Map<string, number>();
  readonly pipelines: FakePipeline[] = [];

  constructor(
    private readonly gitlab: FakeGitLab,
    readonly path: string,
  ) {
    const name = path.split("/").at(-1);
    if (!name || !path.includes("/")) throw new Error(`"${path}" is not group/project`);
    this.name = name;
    this.id = 100_000 + idOf(path);
  }

  /** Branch name → head commit, for `GET /projects/:id/repository/commits/:ref` ("main" is the default branch). */
  readonly branches = new Map<string, string>();

  /** Pushes `files` as the head of `branch` (another project's box reads it at its default branch). */
  async pushBranch(branch: string, sha: string, files: Record<string, string>): Promise<void> {
    await this.push(sha, files);
    this.branches.set(branch, sha);
  }

  /** The commit `sha` with these files, served as GitLab's archive.tar.gz. */
  async push(sha: string, files: Record<string, string>): Promise<void> {
    this.trees.set(sha, Object.keys(files));
    const top = `${this.name}-${sha}-${sha}`;
    const entries = Object.entries(files).map(([name, content]) => ({ path: `${top}/${name}`, content }));
    this.archives.set(sha, tarGz([{ path: `${top}/`, type: "Directory" }, ...entries], { comment: sha }));
  }

  openMergeRequest(
    iid: number,
    head: { ref: string; sha: string; fork?: boolean; user?: string; draft?: boolean; changes?: string[] },
  ): FakeMergeRequest {
    const at = this.gitlab.tick();
    const mr: FakeMergeRequest = {
      iid,
      state: "opened",
      source_branch: head.ref,
      sha: head.sha,
      oldrev: null,
      fork: head.fork ?? false,
      author: head.user ?? "alex",
      title: `${head.draft ? "Draft: " : ""}Preview me (!${iid})`,
      draft: head.draft ?? false,
      labels: [],
      changes: head.changes ?? null,
      created_at: at,
      updated_at: at,
      versions: [{ id: this.gitlab.nextId(), head_commit_sha: head.sha, created_at: at }],
    };
    this.mergeRequests.set(iid, mr);
    return mr;
  }

  /** A push to the MR's source branch: its head moves to `sha`, the next update carries `oldrev`. */
  pushToMergeRequest(iid: number, sha: string): FakeMergeRequest {
    const mr = this.mergeRequest(iid);
    mr.oldrev = mr.sha;
    mr.sha = sha;
    mr.updated_at = this.gitlab.tick();
    mr.versions.push({ id: this.gitlab.nextId(), head_commit_sha: sha, created_at: mr.updated_at });
    return mr;
  }

  /** A label is added to or removed from the MR; returns the `changes` GitLab's update hook reports. */
  setLabel(iid: number, name: string, on: boolean): Json {
    const mr = this.mergeRequest(iid);
    const previous = mr.labels;
    mr.labels = on ? [...new Set([...previous, name])] : previous.filter((l) => l !== name);
    mr.oldrev = null;
    mr.updated_at = this.gitlab.tick();
    return {
      labels: { previous: previous.map((l) => this.labelJson(l)), current: mr.labels.map((l) => this.labelJson(l)) },
    };
  }

  /** The author marks the draft MR as ready (GitLab drops the title's "Draft: "); returns the hook's `changes`. */
  markReady(iid: number): Json {
    const mr = this.mergeRequest(iid);
    const previous = mr.title;
    mr.draft = false;
    mr.title = mr.title.replace(/^Draft: /, "");
    mr.oldrev = null;
    mr.updated_at = this.gitlab.tick();
    return { title: { previous, current: mr.title }, draft: { previous: true, current: false } };
  }

  /** The files MR `iid` changes, as its diffs list them. */
  changedFiles(iid: number): string[] {
    const mr = this.mergeRequest(iid);
    return mr.changes ?? this.trees.get(mr.sha) ?? [];
  }

  labelJson(title: string): Json {
    return {
      id: idOf(title),
      title,
      color: "#6699cc",
      project_id: this.id,
      created_at: "2026-10-01T09:00:00Z",
      updated_at: "2026-10-01T09:00:00Z",
      template: false,
      description: null,
      type: "ProjectLabel",
      group_id: null,
    };
  }

  editTitle(iid: number, title: string): FakeMergeRequest {
    const mr = this.mergeRequest(iid);
    mr.title = title;
    mr.oldrev = null;
    mr.updated_at = this.gitlab.tick();
    return mr;
  }

  closeMergeRequest(iid: number, options: { merged: boolean }): FakeMergeRequest {
    const mr = this.mergeRequest(iid);
    mr.state = options.merged ? "merged" : "closed";
    mr.updated_at = this.gitlab.tick();
    return mr;
  }

  reopenMergeRequest(iid: number): FakeMergeRequest {
    const mr = this.mergeRequest(iid);
    if (mr.state === "merged") throw new Error(`!${iid} is merged: GitLab cannot reopen it`);
    mr.state = "opened";
    mr.updated_at = this.gitlab.tick();
    return mr;
  }

  mergeRequest(iid: number): FakeMergeRequest {
    const mr = this.mergeRequests.get(iid);
    if (!mr) throw new Error(`the fake has no merge request !${iid} in ${this.path}`);
    return mr;
  }

  /** A person writes a note on the MR, as on gitlab.com: the note exists, a webhook may follow. */
  comment(iid: number, username: string, body: string): FakeNote {
    return this.addNote(iid, this.gitlab.user(username), body);
  }

  setAccessLevel(username: string, level: number): void {
    this.members.set(username, level);
  }

  notesOn(iid: number): FakeNote[] {
    return this.notes.filter((n) => n.iid === iid);
  }

  /** Notes the token's user (prbox) wrote on the MR. */
  botNotes(iid: number): FakeNote[] {
    return this.notesOn(iid).filter((n) => n.author.id === this.gitlab.bot.id);
  }

  statusesOf(sha: string, name = "prbox"): FakeStatus[] {
    return this.statuses.filter((s) => s.sha === sha && s.name === name);
  }

  /** Every environment of that name ever made, oldest first (removed ones included). */
  environmentsNamed(name: string): FakeEnvironment[] {
    return this.environments.filter((e) => e.name === name);
  }

  awardsOn(noteId: number): FakeAward[] {
    return this.awards.filter((a) => a.noteId === noteId);
  }

  addNote(iid: number, author: GitLabUser, body: string, options: { system?: boolean } = {}): FakeNote {
    const at = this.gitlab.tick();
    const note: FakeNote = {
      id: this.gitlab.nextId(),
      iid,
      body,
      author,
      system: options.system ?? false,
      created_at: at,
      updated_at: at,
      history: [body],
    };
    this.notes.push(note);
    return note;
  }

  /** CI runs on `sha`: a merge request pipeline with `mergeRequest`, else a branch pipeline of `ref`. */
  runPipeline(
    sha: string,
    options: { jobs: Record<string, string>; mergeRequest?: number; ref?: string },
  ): FakePipeline {
    const mr = options.mergeRequest === undefined ? undefined : this.mergeRequest(options.mergeRequest);
    const ref = mr?.source_branch ?? options.ref;
    if (!ref) throw new Error("a branch pipeline needs its ref");
    const jobs = Object.entries(options.jobs).map(([name, status]) => ({
      id: this.gitlab.nextId(),
      name,
      stage: "build",
      status,
      allow_failure: false,
    }));
    const pipeline: FakePipeline = {
      id: this.gitlab.nextId(),
      iid: this.pipelines.length + 1,
      sha,
      ref,
      mergeRequest: mr?.iid ?? null,
      jobs,
    };
    this.pipelines.push(pipeline);
    return pipeline;
  }

  /** A job of the pipeline changes its status (GitLab then sends a Pipeline Hook). */
  setJob(pipeline: FakePipeline, name: string, status: string): void {
    const job = pipeline.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`pipeline ${pipeline.id} has no job ${name}`);
    job.status = status;
  }

  /** The pipeline's status as GitLab derives it from its jobs. */
  pipelineStatus(pipeline: FakePipeline): string {
    const statuses = pipeline.jobs.map((j) => j.status);
    if (statuses.some((status) => !FINISHED.has(status) && status !== "manual")) return "running";
    if (pipeline.jobs.some((j) => (j.status === "failed" && !j.allow_failure) || j.status === "canceled"))
      return "failed";
    return "success";
  }

  // ---- webhook payloads, after fixtures/gitlab/ moved onto this project ----

  private moved(json: Json): Json {
    const old = json.project as { path_with_namespace: string };
    return JSON.parse(JSON.stringify(json).replaceAll(old.path_with_namespace, this.path)) as Json;
  }

  projectJson(id = this.id, path = this.path): Json {
    const example = this.moved(fixture("merge_request.open")).project as Json;
    return { ...example, id, name: path.split("/").at(-1), path_with_namespace: path, default_branch: "main" };
  }

  /** A Merge Request Hook for the MR as the fake has it now. `update` carries `oldrev` only after a push. */
  mergeRequestHook(iid: number, action: "open" | "reopen" | "update" | "close" | "merge", change?: Json): Json {
    const mr = this.mergeRequest(iid);
    const example = this.moved(
      fixture(
        action === "update" ? "merge_request.update-title" : `merge_request.${action === "reopen" ? "open" : action}`,
      ),
    );
    const attributes = example.object_attributes as Json;
    const source = mr.fork ? this.projectJson(this.id + 1, `${mr.author}/${this.name}`) : this.projectJson();
    const { oldrev: _, ...withoutOldrev } = attributes;
    const changes =
      action === "update" && mr.oldrev === null
        ? (change ?? { title: { previous: "Preview me", current: mr.title } })
        : {};
    const labels = mr.labels.map((l) => this.labelJson(l));
    const author = this.gitlab.user(mr.author);
    return {
      ...example,
      user: { ...(example.user as Json), ...this.gitlab.user(mr.author), name: mr.author },
      project: this.projectJson(),
      object_attributes: {
        ...withoutOldrev,
        id: 900_000 + iid,
        iid,
        title: mr.title,
        source_branch: mr.source_branch,
        source_project_id: source.id,
        target_project_id: this.id,
        author_id: author.id,
        draft: mr.draft,
        work_in_progress: mr.draft,
        source,
        target: this.projectJson(),
        state: mr.state,
        action,
        created_at: mr.created_at,
        updated_at: mr.updated_at,
        url: `${GITLAB_URL}/${this.path}/-/merge_requests/${iid}`,
        last_commit: {
          ...(attributes.last_commit as Json),
          id: mr.sha,
          url: `${GITLAB_URL}/${this.path}/-/commit/${mr.sha}`,
        },
        labels,
        ...(action === "update" && mr.oldrev !== null ? { oldrev: mr.oldrev } : {}),
      },
      labels,
      changes: { updated_at: { previous: mr.created_at, current: mr.updated_at }, ...changes },
    };
  }

  /** A Note Hook for a note a person wrote on the MR. */
  noteHook(note: FakeNote): Json {
    const mr = this.mergeRequest(note.iid);
    const example = this.moved(fixture("note.merge_request-reload"));
    return {
      ...example,
      user: { ...(example.user as Json), ...note.author, name: note.author.username },
      project_id: this.id,
      project: this.projectJson(),
      object_attributes: {
        ...(example.object_attributes as Json),
        id: note.id,
        note: note.body,
        author_id: note.author.id,
        project_id: this.id,
        noteable_id: 900_000 + note.iid,
        created_at: note.created_at,
        updated_at: note.updated_at,
        url: `${GITLAB_URL}/${this.path}/-/merge_requests/${note.iid}#note_${note.id}`,
      },
      merge_request: {
        ...(example.merge_request as Json),
        id: 900_000 + note.iid,
        iid: note.iid,
        title: mr.title,
        state: mr.state,
        source_branch: mr.source_branch,
        source_project_id: mr.fork ? this.id + 1 : this.id,
        target_project_id: this.id,
        last_commit: { id: mr.sha },
        labels: [],
      },
    };
  }

  /** A Pipeline Hook for the pipeline as the fake has it now (fixtures/gitlab/pipeline.merge_request-success.json). */
  pipelineHook(pipeline: FakePipeline): Json {
    const example = this.moved(fixture("pipeline.merge_request-success"));
    const attributes = example.object_attributes as Json;
    const template = (example.builds as Json[])[0] ?? {};
    const mr = pipeline.mergeRequest === null ? null : this.mergeRequest(pipeline.mergeRequest);
    return {
      ...example,
      object_attributes: {
        ...attributes,
        id: pipeline.id,
        iid: pipeline.iid,
        name: mr ? `Pipeline for merge request !${mr.iid}` : `Pipeline for branch: ${pipeline.ref}`,
        ref: pipeline.ref,
        sha: pipeline.sha,
        source: mr ? "merge_request_event" : "push",
        status: this.pipelineStatus(pipeline),
        url: `${GITLAB_URL}/${this.path}/-/pipelines/${pipeline.id}`,
      },
      merge_request: mr && {
        ...(example.merge_request as Json),
        id: 900_000 + mr.iid,
        iid: mr.iid,
        title: mr.title,
        source_branch: mr.source_branch,
        source_project_id: mr.fork ? this.id + 1 : this.id,
        target_project_id: this.id,
        state: mr.state,
        url: `${GITLAB_URL}/${this.path}/-/merge_requests/${mr.iid}`,
      },
      project: this.projectJson(),
      commit: {
        ...(example.commit as Json),
        id: pipeline.sha,
        url: `${GITLAB_URL}/${this.path}/-/commit/${pipeline.sha}`,
      },
      builds: pipeline.jobs.map((job) => ({
        ...template,
        id: job.id,
        name: job.name,
        stage: job.stage,
        status: job.status,
        allow_failure: job.allow_failure,
        when: "on_success",
        manual: false,
        environment: null,
      })),
    };
  }

  // ---- REST representations ----

  pipelineJson(pipeline: FakePipeline): Json {
    const source = pipeline.mergeRequest === null ? "push" : "merge_request_event";
    const at = this.gitlab.tick();
    return {
      id: pipeline.id,
      iid: pipeline.iid,
      project_id: this.id,
      sha: pipeline.sha,
      ref: pipeline.ref,
      status: this.pipelineStatus(pipeline),
      source,
      created_at: at,
      updated_at: at,
      web_url: `${GITLAB_URL}/${this.path}/-/pipelines/${pipeline.id}`,
    };
  }

  jobJson(pipeline: FakePipeline, job: FakeJob): Json {
    return {
      id: job.id,
      name: job.name,
      stage: job.stage,
      status: job.status,
      allow_failure: job.allow_failure,
      ref: pipeline.ref,
      tag: false,
      created_at: this.gitlab.tick(),
      pipeline: {
        id: pipeline.id,
        project_id: this.id,
        ref: pipeline.ref,
        sha: pipeline.sha,
        status: this.pipelineStatus(pipeline),
      },
      web_url: `${GITLAB_URL}/${this.path}/-/jobs/${job.id}`,
    };
  }

  mergeRequestJson(mr: FakeMergeRequest): Json {
    return {
      id: 900_000 + mr.iid,
      iid: mr.iid,
      project_id: this.id,
      title: mr.title,
      state: mr.state,
      created_at: mr.created_at,
      updated_at: mr.updated_at,
      target_branch: "main",
      source_branch: mr.source_branch,
      source_project_id: mr.fork ? this.id + 1 : this.id,
      target_project_id: this.id,
      author: this.gitlab.userJson(this.gitlab.user(mr.author)),
      labels: mr.labels,
      draft: mr.draft,
      sha: mr.sha,
      merge_commit_sha: null,
      references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${this.path}!${mr.iid}` },
      web_url: `${GITLAB_URL}/${this.path}/-/merge_requests/${mr.iid}`,
    };
  }

  noteJson(note: FakeNote): Json {
    return {
      id: note.id,
      type: null,
      body: note.body,
      author: this.gitlab.userJson(note.author),
      created_at: note.created_at,
      updated_at: note.updated_at,
      system: note.system,
      noteable_id: 900_000 + note.iid,
      noteable_type: "MergeRequest",
      noteable_iid: note.iid,
      project_id: this.id,
      resolvable: false,
      confidential: false,
      internal: false,
    };
  }

  environmentJson(e: FakeEnvironment): Json {
    return {
      id: e.id,
      name: e.name,
      slug: e.name.replace(/[^a-z0-9]+/g, "-"),
      external_url: e.external_url,
      state: e.state,
      tier: e.tier,
      created_at: this.gitlab.tick(),
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
type ProjectHandler = (project: FakeProject, req: Request, params: Params) => Answer | Promise<Answer>;

function mergeRequestOf(project: FakeProject, iid: string | undefined): FakeMergeRequest | undefined {
  return project.mergeRequests.get(Number(iid));
}

function noteRoutes(g: FakeGitLab): void {
  g.onProject("GET", "/merge_requests/:iid", (project, _req, { iid }) => {
    const mr = mergeRequestOf(project, iid);
    return mr ? [200, project.mergeRequestJson(mr)] : notFound();
  });
  g.onProject("GET", "/merge_requests/:iid/versions", (project, _req, { iid }) => {
    const mr = mergeRequestOf(project, iid);
    if (!mr) return notFound();
    const newestFirst = [...mr.versions].reverse();
    return [
      200,
      newestFirst.map((v) => ({
        ...v,
        base_commit_sha: "0".repeat(40),
        start_commit_sha: "0".repeat(40),
        merge_request_id: 5000 + mr.iid,
        state: "collected",
        real_size: "1",
        patch_id_sha: null,
      })),
    ];
  });
  g.onProject("GET", "/merge_requests/:iid/diffs", (project, req, { iid }) => {
    const mr = mergeRequestOf(project, iid);
    if (!mr) return notFound();
    const diffs = project.changedFiles(mr.iid).map((file) => ({
      old_path: file,
      new_path: file,
      a_mode: "100644",
      b_mode: "100644",
      diff: "@@ -1 +1 @@\n-old\n+new\n",
      new_file: false,
      renamed_file: false,
      deleted_file: false,
      generated_file: false,
    }));
    return page(req, diffs);
  });
  g.onProject("GET", "/merge_requests/:iid/commits", (project, req, { iid }) => {
    const mr = mergeRequestOf(project, iid);
    if (!mr) return notFound();
    const newestFirst = [...new Set(mr.versions.map((v) => v.head_commit_sha))].reverse();
    return page(
      req,
      newestFirst.map((sha) => ({
        id: sha,
        short_id: sha.slice(0, 8),
        title: `commit ${sha.slice(0, 8)}`,
        created_at: mr.created_at,
        parent_ids: [],
      })),
    );
  });
  g.onProject("GET", "/merge_requests/:iid/notes", (project, req, { iid }) => {
    if (!mergeRequestOf(project, iid)) return notFound();
    const q = req.url.searchParams;
    const notes = project.notesOn(Number(iid)).map((n) => project.noteJson(n));
    if (q.get("sort") !== "asc") notes.reverse();
    return page(req, notes);
  });
  g.onProject("POST", "/merge_requests/:iid/notes", (project, req, { iid }) => {
    if (!mergeRequestOf(project, iid)) return notFound();
    const refused = checkNoteBody(req.body.body);
    if (refused) return refused;
    return [201, project.noteJson(project.addNote(Number(iid), g.bot, String(req.body.body)))];
  });
  g.onProject("PUT", "/merge_requests/:iid/notes/:noteId", (project, req, { iid, noteId }) => {
    const note = project.notesOn(Number(iid)).find((n) => n.id === Number(noteId));
    if (!note) return notFound("Note");
    if (note.author.id !== g.bot.id) return [403, { message: "403 Forbidden" }];
    const refused = checkNoteBody(req.body.body);
    if (refused) return refused;
    note.body = String(req.body.body);
    note.history.push(note.body);
    note.updated_at = g.tick();
    return [200, project.noteJson(note)];
  });
  g.onProject("POST", "/merge_requests/:iid/notes/:noteId/award_emoji", (project, req, { iid, noteId }) => {
    const note = project.notesOn(Number(iid)).find((n) => n.id === Number(noteId));
    if (!note) return notFound("Note");
    const name = String(req.body.name ?? "");
    if (project.awardsOn(note.id).some((a) => a.name === name && a.user === g.bot.username))
      return notFound("Award Emoji Name has already been taken");
    project.awards.push({ noteId: note.id, name, user: g.bot.username });
    return [201, { id: g.nextId(), name, user: g.userJson(g.bot), awardable_id: note.id, awardable_type: "Note" }];
  });
}

/** The Merge requests list (by state and source branch), Pipelines (by SHA, newest first) and a pipeline's Jobs. */
function pipelineRoutes(g: FakeGitLab): void {
  const STATES: Record<string, FakeMergeRequest["state"][]> = {
    opened: ["opened"],
    closed: ["closed"],
    merged: ["merged"],
    all: ["opened", "closed", "merged"],
  };
  g.onProject("GET", "/merge_requests", (project, req) => {
    const q = req.url.searchParams;
    const states = STATES[q.get("state") ?? "all"] ?? [];
    const found = [...project.mergeRequests.values()].filter(
      (mr) => states.includes(mr.state) && (!q.has("source_branch") || mr.source_branch === q.get("source_branch")),
    );
    return page(
      req,
      found.reverse().map((mr) => project.mergeRequestJson(mr)),
    );
  });
  g.onProject("GET", "/pipelines", (project, req) => {
    const q = req.url.searchParams;
    const found = project.pipelines.filter(
      (p) => (!q.has("sha") || p.sha === q.get("sha")) && (!q.has("ref") || p.ref === q.get("ref")),
    );
    if (q.get("sort") !== "asc") found.reverse();
    return page(
      req,
      found.map((p) => project.pipelineJson(p)),
    );
  });
  g.onProject("GET", "/pipelines/:pipelineId/jobs", (project, req, { pipelineId }) => {
    const pipeline = project.pipelines.find((p) => p.id === Number(pipelineId));
    if (!pipeline) return notFound();
    return page(
      req,
      pipeline.jobs.map((job) => project.jobJson(pipeline, job)),
    );
  });
}

function checkNoteBody(body: unknown): Answer | undefined {
  if (typeof body !== "string" || body.trim() === "")
    return badRequest('400 Bad request - Note {:note=>["can\'t be blank"]}');
  if (body.length > MAX_NOTE) return badRequest({ note: ["is too long (maximum is 1000000 characters)"] });
  return undefined;
}

/**
 * The Commit Status API as Ci::CreateCommitStatusService answers: without `ref`, the ref is a
 * branch containing the SHA (a non-fork MR's source branch); a fork's commit is on none, which is
 * 404 "References for commit". A state the status already has is 400 (no such transition).
 */
function statusRoutes(g: FakeGitLab): void {
  g.onProject("POST", "/statuses/:sha", (project, req, { sha = "" }) => {
    if (!project.archives.has(sha)) return notFound("Commit");
    const state = String(req.body.state ?? "");
    if (!STATUS_STATES.has(state)) return badRequest("state does not have a valid value");
    const ref = typeof req.body.ref === "string" ? req.body.ref : branchContaining(project, sha);
    if (!ref) return notFound("References for commit");
    const name = typeof req.body.name === "string" ? req.body.name : "default";
    const current = project.statuses.filter((s) => s.sha === sha && s.name === name && s.ref === ref).at(-1);
    if (current && current.status === state && !FINISHED.has(state)) {
      return badRequest(
        `Cannot transition status via :run from :${state} (Reason(s): Status cannot transition via "run")`,
      );
    }
    const text = (value: unknown) => (typeof value === "string" ? value : null);
    const status: FakeStatus = {
      sha,
      ref,
      name,
      status: state,
      description: text(req.body.description),
      target_url: text(req.body.target_url),
    };
    project.statuses.push(status);
    return [
      201,
      {
        id: g.nextId(),
        ...status,
        pipeline_id: 5000 + idOf(`${sha}${ref}`),
        allow_failure: false,
        author: g.userJson(g.bot),
      },
    ];
  });
  g.onProject("GET", "/repository/commits/:sha/statuses", (project, req, { sha = "" }) => {
    const q = req.url.searchParams;
    const wanted = project.statuses.filter(
      (s) => s.sha === sha && (!q.has("name") || s.name === q.get("name")) && (!q.has("ref") || s.ref === q.get("ref")),
    );
    const latest = new Map(wanted.map((s) => [`${s.name} ${s.ref}`, s]));
    return [200, [...latest.values()].map((s) => ({ id: g.nextId(), ...s, author: g.userJson(g.bot) }))];
  });
}

function branchContaining(project: FakeProject, sha: string): string | undefined {
  return [...project.mergeRequests.values()].find((mr) => !mr.fork && mr.sha === sha)?.source_branch;
}

function environmentRoutes(g: FakeGitLab): void {
  const live = (project: FakeProject) => project.environments.filter((e) => !e.removed);
  const find = (project: FakeProject, id: string | undefined) => live(project).find((e) => e.id === Number(id));
  g.onProject("GET", "/environments", (project, req) => {
    const name = req.url.searchParams.get("name");
    return page(
      req,
      live(project)
        .filter((e) => name === null || e.name === name)
        .map((e) => project.environmentJson(e)),
    );
  });
  g.onProject("POST", "/environments", (project, req) => {
    const name = String(req.body.name ?? "");
    if (live(project).some((e) => e.name === name)) return badRequest({ name: ["has already been taken"] });
    const url = typeof req.body.external_url === "string" ? req.body.external_url : null;
    if (url !== null && !/^https?:\/\//.test(url))
      return badRequest({ external_url: ["is blocked: Only allowed schemes are http, https"] });
    const environment: FakeEnvironment = {
      id: g.nextId(),
      name,
      state: "available",
      external_url: url,
      tier: String(req.body.tier ?? "other"),
      removed: false,
    };
    project.environments.push(environment);
    return [201, project.environmentJson(environment)];
  });
  g.onProject("PUT", "/environments/:id", (project, req, { id }) => {
    const environment = find(project, id);
    if (!environment) return notFound("Environment");
    if (typeof req.body.external_url === "string") environment.external_url = req.body.external_url;
    return [200, project.environmentJson(environment)];
  });
  g.onProject("POST", "/environments/:id/stop", (project, _req, { id }) => {
    const environment = find(project, id);
    if (!environment) return notFound("Environment");
    environment.state = "stopped";
    return [200, project.environmentJson(environment)];
  });
  g.onProject("DELETE", "/environments/:id", (project, _req, { id }) => {
    const environment = find(project, id);
    if (!environment) return notFound("Environment");
    // GitLab deletes only stopped environments.
    if (environment.state !== "stopped")
      return [403, { message: "403 Forbidden - Environment must be stopped before it can be deleted" }];
    environment.removed = true;
    return [204, ""];
  });
}

function peopleAndSourceRoutes(g: FakeGitLab): void {
  g.onProject("GET", "/members/all/:userId", (project, _req, { userId }) => {
    const username = g.usernameOf(Number(userId));
    const level = username === undefined ? undefined : project.members.get(username);
    if (username === undefined || level === undefined) return notFound();
    return [
      200,
      {
        ...g.userJson({ id: Number(userId), username }),
        access_level: level,
        membership_state: "active",
        expires_at: null,
      },
    ];
  });
  // A branch name or a pushed commit, as GitLab resolves `:sha`; 404 "Commit Not Found" otherwise.
  g.onProject("GET", "/repository/commits/:ref", (project, _req, { ref = "" }) => {
    const sha = project.branches.get(ref) ?? (project.archives.has(ref) ? ref : undefined);
    if (sha === undefined) return [404, { message: "404 Commit Not Found" }];
    return [200, { id: sha, short_id: sha.slice(0, 8), title: "a commit", message: "a commit", parent_ids: [] }];
  });
  g.onProject("GET", "/repository/archive.tar.gz", (project, req) => {
    const sha = req.url.searchParams.get("sha") ?? "";
    const archive = project.archives.get(sha);
    if (!archive) return notFound();
    project.downloads.push(sha);
    return [
      200,
      archive,
      {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename="${project.name}-${sha}.tar.gz"`,
      },
    ];
  });
}

/** GitLab's offset pagination: the page asked for, its Link header and the x-next-page header (gitbeaker reads both). */
function page(req: Request, items: Json[]): Answer {
  const perPage = Math.min(100, Number(req.url.searchParams.get("per_page") ?? 20) || 20);
  const current = Math.max(1, Number(req.url.searchParams.get("page") ?? 1) || 1);
  const total = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number, rel: string) => {
    const url = new URL(req.url);
    url.searchParams.set("page", String(p));
    url.searchParams.set("per_page", String(perPage));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links = [...(current < total ? [link(current + 1, "next")] : []), link(1, "first"), link(total, "last")];
  const headers = {
    link: links.join(", "),
    "x-page": String(current),
    "x-per-page": String(perPage),
    "x-next-page": current < total ? String(current + 1) : "",
    "x-prev-page": current > 1 ? String(current - 1) : "",
    "x-total": String(items.length),
    "x-total-pages": String(total),
  };
  return [200, items.slice((current - 1) * perPage, current * perPage), headers];
}

// ---- the fake ----

export interface FakeGitLabOptions {
  /** GITLAB_TOKEN: a project access token; its user is the bot "project_<id>_bot_…". */
  token: string;
  now?: Date;
}

/** The fake GitLab: projects, users, the token, and the nock interceptors that answer for it. */
export class FakeGitLab {
  readonly projects = new Map<number, FakeProject>();
  /** Everything asked of GitLab, in order. */
  readonly requests: SeenRequest[] = [];
  readonly problems: string[] = [];
  /** The credentials a leak would expose (the token): none may appear in logs or bodies. */
  readonly credentials = new Set<string>();
  readonly bot: GitLabUser = { id: 9001, username: "project_15_bot_3f2a9c0b1d" };
  private readonly users = new Map<string, GitLabUser>([[this.bot.username, this.bot]]);
  private clock: number;
  private ids = 70_000;
  private readonly routes: {
    method: string;
    pattern: RegExp;
    handler: (req: Request, params: Params) => Answer | Promise<Answer>;
  }[] = [];
  private readonly interceptors: nock.Interceptor[] = [];
  private readonly onNoMatch = (request: unknown) => {
    if (!(request instanceof globalThis.Request)) return;
    const host = new URL(request.url).hostname;
    if (host !== "127.0.0.1" && host !== "localhost")
      this.problems.push(`a request to a host nobody fakes: ${request.method} ${request.url}`);
  };

  constructor(private readonly options: FakeGitLabOptions) {
    this.clock = (options.now ?? new Date()).getTime();
    this.credentials.add(options.token);
    this.on("GET", "/user", () => [200, { ...this.userJson(this.bot), bot: true, is_admin: false }]);
    this.on("GET", "/users", (req) => {
      const user = this.users.get(req.url.searchParams.get("username") ?? "");
      return [200, user ? [this.userJson(user)] : []];
    });
    noteRoutes(this);
    statusRoutes(this);
    environmentRoutes(this);
    peopleAndSourceRoutes(this);
    pipelineRoutes(this);
    // A project by id, or by its URL-encoded path (decoded before routes match: two segments here).
    this.on("GET", "/projects/:projectId", (req, { projectId }) => this.projectAnswer(req, projectId ?? ""));
    this.on("GET", "/projects/:group/:name", (req, { group = "", name }) =>
      // /projects/<id>/<something> is a route the fake lacks, not a path: kept a problem.
      /^\d+$/.test(group)
        ? [501, { message: `the fake GitLab has no route for GET ${req.url.pathname}` }]
        : this.projectAnswer(req, `${group}/${name}`),
    );
  }

  private projectAnswer(req: Request, idOrPath: string): Answer {
    const project = /^\d+$/.test(idOrPath)
      ? this.projects.get(Number(idOrPath))
      : [...this.projects.values()].find((p) => p.path === idOrPath);
    if (!project && /^\d+$/.test(idOrPath))
      this.problems.push(`${req.method} ${req.url.pathname}: the fake has no project ${idOrPath}`);
    return project ? [200, project.projectJson()] : notFound("Project");
  }

  /** Starts answering GITLAB_URL; nothing else leaves the machine (loopback stays open). */
  start(): this {
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
    nock.emitter.on("no match", this.onNoMatch);
    for (const method of ["GET", "POST", "PUT", "DELETE"]) {
      const interceptor = nock(GITLAB_URL)
        .persist()
        .intercept(() => true, method);
      interceptor.reply((request: globalThis.Request) => this.handle(request));
      this.interceptors.push(interceptor);
    }
    return this;
  }

  /** Removes the fake's interceptors and listener (nothing else of nock's). */
  stop(): void {
    for (const interceptor of this.interceptors.splice(0)) nock.removeInterceptor(interceptor);
    nock.emitter.removeListener("no match", this.onNoMatch);
  }

  addProject(path: string): FakeProject {
    const project = new FakeProject(this, path);
    this.projects.set(project.id, project);
    return project;
  }

  assertNoProblems(): void {
    if (this.problems.length > 0)
      throw new Error(
        `the fake GitLab saw requests GitLab would not answer like this:\n  ${this.problems.join("\n  ")}`,
      );
  }

  /** A GitLab user by username, made on first use. */
  user(username: string): GitLabUser {
    let user = this.users.get(username);
    if (!user) {
      user = { id: idOf(username), username };
      this.users.set(username, user);
    }
    return user;
  }

  usernameOf(id: number): string | undefined {
    return [...this.users.values()].find((u) => u.id === id)?.username;
  }

  userJson(user: GitLabUser): Json {
    return {
      id: user.id,
      username: user.username,
      name: user.username,
      state: "active",
      avatar_url: null,
      web_url: `${GITLAB_URL}/${user.username}`,
    };
  }

  /** The fake's clock: every call is one second later, so timestamps keep their order. */
  tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  nextId(): number {
    this.ids += 1 + Math.floor(Math.random() * 7);
    return this.ids;
  }

  on(method: string, pattern: string, handler: (req: Request, params: Params) => Answer | Promise<Answer>): void {
    const source = pattern.replace(/[.]/g, "\\.").replace(/:([a-zA-Z]+)/g, (_, name: string) => `(?<${name}>[^/]+)`);
    this.routes.push({ method, pattern: new RegExp(`^${API}${source}$`), handler });
  }

  /** A route under /projects/:id for a project the fake has. */
  onProject(method: string, pattern: string, handler: ProjectHandler): void {
    this.on(method, `/projects/:projectId${pattern}`, (req, params) => {
      const project = this.projects.get(Number(params.projectId));
      if (!project) {
        this.problems.push(`${req.method} ${req.url.pathname}: the fake has no project ${params.projectId}`);
        return notFound("Project");
      }
      return handler(project, req, params);
    });
  }

  private async handle(request: globalThis.Request): Promise<Answer> {
    const url = new URL(request.url);
    const text = request.method === "GET" || request.method === "DELETE" ? "" : await request.text();
    const seen: SeenRequest = {
      method: request.method,
      url: `${url.origin}${url.pathname}${url.search}`,
      status: 0,
      body: text,
    };
    this.requests.push(seen);
    const answer = await this.answer(request, url, text);
    seen.status = answer[0];
    const expected = answer[0] === 400 && /Cannot transition status/.test(JSON.stringify(answer[1]));
    if ([400, 401, 403, 422, 501].includes(answer[0]) && !expected)
      this.problems.push(`${seen.method} ${seen.url} → ${answer[0]} ${JSON.stringify(answer[1])}`);
    return answer;
  }

  private async answer(request: globalThis.Request, url: URL, text: string): Promise<Answer> {
    if (request.headers.get("private-token") !== this.options.token) return [401, { message: "401 Unauthorized" }];
    let body: Json = Object.fromEntries(url.searchParams);
    try {
      if (text !== "") body = { ...body, ...(JSON.parse(text) as Json) };
    } catch {
      return badRequest("the body is not JSON");
    }
    for (const route of this.routes) {
      const match = route.method === request.method ? route.pattern.exec(decodeURIComponent(url.pathname)) : null;
      if (match)
        return route.handler({ method: request.method, url, headers: request.headers, body }, match.groups ?? {});
    }
    return [501, { message: `the fake GitLab has no route for ${request.method} ${url.pathname}` }];
  }
}

export function startFakeGitLab(options: FakeGitLabOptions): FakeGitLab {
  return new FakeGitLab(options).start();
}
