// The fake GitLab the end-to-end tests stand on: strict where GitLab is, and never silent. Driven
// through gitbeaker, the client prbox uses.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGitLabClient, type GitLabClient } from "../../../src/forges/gitlab/client.js";
import { ACCESS, GITLAB_URL, startFakeGitLab, type FakeGitLab, type FakeProject } from "../../support/fake-gitlab.js";

const TOKEN = "glpat-Xq3vR8sK2mT9wZ4yB7nD";
const FORK_SHA = "f".repeat(40);
const SHA = "a".repeat(40);

/** The HTTP status a failed call answered (gitbeaker keeps the response in the error's cause), 0 when it did not fail. */
function statusOfCall(call: Promise<unknown>): Promise<number | undefined> {
  return call.then(
    () => 0,
    (error: unknown) => (error as { cause?: { response?: { status?: number } } }).cause?.response?.status,
  );
}

function client(token = TOKEN): GitLabClient {
  return createGitLabClient({ url: GITLAB_URL, token, retries: 0, backoffMs: 1 });
}

describe("the fake GitLab", () => {
  let gitlab: FakeGitLab;
  let project: FakeProject;
  beforeEach(async () => {
    gitlab = startFakeGitLab({ token: TOKEN });
    project = gitlab.addProject("acme/shop");
    await project.push(SHA, { "README.md": "hi\n" });
    await project.push(FORK_SHA, { "README.md": "from a fork\n" });
    project.openMergeRequest(1, { ref: "feature", sha: SHA });
    project.openMergeRequest(2, { ref: "patch-1", sha: FORK_SHA, fork: true, user: "contributor" });
  });
  afterEach(() => gitlab.stop());

  it("refuses a wrong token with 401, as a problem", async () => {
    expect(await statusOfCall(client("glpat-wrong").MergeRequests.show(project.id, 1))).toBe(401);
    expect(() => gitlab.assertNoProblems()).toThrow(/401 Unauthorized/);
  });

  it("records a request it has no route for, and one to any other host", async () => {
    expect(await statusOfCall(client().Branches.all(project.id))).toBe(501);
    await expect(fetch("https://example.com/")).rejects.toThrow();
    expect(gitlab.problems).toEqual([
      expect.stringMatching(/no route for GET \/api\/v4\/projects\/\d+\/repository\/branches/),
      expect.stringMatching(/host nobody fakes/),
    ]);
  });

  it("lists a commit's pipelines newest first with the status their jobs give them, and an open branch's merge requests", async () => {
    const branch = project.runPipeline(SHA, { ref: "feature", jobs: { build: "success", lint: "failed" } });
    const forMr = project.runPipeline(SHA, { mergeRequest: 1, jobs: { build: "running" } });

    const pipelines = await client().Pipelines.all(project.id, { sha: SHA, orderBy: "id", sort: "desc" });
    const jobs = await client().Jobs.all(project.id, { pipelineId: branch.id });
    const mrs = await client().MergeRequests.all({ projectId: project.id, state: "opened", sourceBranch: "feature" });

    expect(pipelines.map((p) => [p.id, p.status, p.ref])).toEqual([
      [forMr.id, "running", "feature"],
      [branch.id, "failed", "feature"],
    ]);
    expect(jobs.map((j) => [j.name, j.status])).toEqual([
      ["build", "success"],
      ["lint", "failed"],
    ]);
    expect(mrs.map((mr) => [mr.iid, mr.sha])).toEqual([[1, SHA]]);
    expect(project.pipelineHook(forMr)).toMatchObject({
      object_attributes: { id: forMr.id, sha: SHA, status: "running", source: "merge_request_event" },
      merge_request: { iid: 1 },
    });
    expect(gitlab.problems).toEqual([]);
  });

  it("answers a status without ref for a fork's commit with GitLab's 404 'References for commit', and takes it with the MR's ref", async () => {
    expect(await statusOfCall(client().Commits.editStatus(project.id, FORK_SHA, "running", { name: "prbox" }))).toBe(
      404,
    );
    expect(gitlab.problems).toEqual([]);

    await client().Commits.editStatus(project.id, FORK_SHA, "running", {
      name: "prbox",
      ref: "refs/merge-requests/2/head",
    });
    await client().Commits.editStatus(project.id, SHA, "running", { name: "prbox" });

    expect(project.statuses.map((s) => [s.sha, s.ref])).toEqual([
      [FORK_SHA, "refs/merge-requests/2/head"],
      [SHA, "feature"],
    ]);
  });

  it("answers 400 to a state the status already has, and takes a finished state again", async () => {
    await client().Commits.editStatus(project.id, SHA, "running", { name: "prbox", ref: "feature" });
    expect(
      await statusOfCall(client().Commits.editStatus(project.id, SHA, "running", { name: "prbox", ref: "feature" })),
    ).toBe(400);
    await client().Commits.editStatus(project.id, SHA, "success", { name: "prbox", ref: "feature" });
    await client().Commits.editStatus(project.id, SHA, "success", { name: "prbox", ref: "feature" });
    expect(project.statusesOf(SHA).map((s) => s.status)).toEqual(["running", "success", "success"]);
    gitlab.assertNoProblems();
  });

  it("deletes only a stopped environment (403 otherwise, as a problem)", async () => {
    const created = await client().Environments.create(project.id, "prbox/mr-1", {
      externalUrl: "https://pr-1.example.com",
    });
    expect(await statusOfCall(client().Environments.remove(project.id, created.id))).toBe(403);
    expect(gitlab.problems).toHaveLength(1);

    await client().Environments.stop(project.id, created.id);
    await client().Environments.remove(project.id, created.id);
    expect(project.environmentsNamed("prbox/mr-1")).toMatchObject([{ state: "stopped", removed: true }]);
    expect(await client().Environments.all(project.id, { name: "prbox/mr-1" })).toEqual([]);
  });

  it("pages notes the way gitbeaker follows them, and tells members by access level", async () => {
    for (let i = 0; i < 130; i++) project.comment(1, "alex", `note ${i}`);
    const notes = await client().MergeRequestNotes.all(project.id, 1, {
      sort: "asc",
      orderBy: "created_at",
      perPage: 100,
    });
    expect(notes.map((n) => n.body)).toEqual(Array.from({ length: 130 }, (_, i) => `note ${i}`));

    project.setAccessLevel("alex", ACCESS.developer);
    const [alex] = await client().Users.all({ username: "alex" });
    expect(
      (await client().ProjectMembers.show(project.id, alex?.id ?? 0, { includeInherited: true })).access_level,
    ).toBe(30);
    const [stranger] = await client().Users.all({ username: "stranger" });
    expect(stranger).toBeUndefined();
    gitlab.assertNoProblems();
  });

  it("writes webhook payloads prbox's edge accepts: an update carries oldrev only after a push", () => {
    const open = project.mergeRequestHook(1, "open");
    expect(open).toMatchObject({
      object_kind: "merge_request",
      project: { id: project.id, path_with_namespace: "acme/shop" },
      object_attributes: { iid: 1, action: "open", last_commit: { id: SHA } },
    });

    project.editTitle(1, "Better title");
    expect((project.mergeRequestHook(1, "update").object_attributes as Record<string, unknown>).oldrev).toBeUndefined();
    project.pushToMergeRequest(1, FORK_SHA);
    expect(project.mergeRequestHook(1, "update").object_attributes).toMatchObject({
      oldrev: SHA,
      last_commit: { id: FORK_SHA },
    });

    const fork = project.mergeRequestHook(2, "open").object_attributes as Record<string, unknown>;
    expect(fork.source_project_id).not.toBe(fork.target_project_id);
  });
});
