import nock from "nock";
import { describe, expect, it } from "vitest";
import { GitLabForge } from "../../../../src/forges/gitlab/forge.js";
import { useStrictNock } from "../../../support/nock.js";
import {
  HOST,
  MR,
  OTHER_SHA,
  PROJECT,
  SHA,
  awardEmoji,
  member,
  mergeRequestBody,
  notFound,
  ref,
  testClient,
  user,
} from "./fixtures.js";

useStrictNock();

describe("GitLabForge.pullRequest", () => {
  it.each([
    ["opened", "open"],
    ["locked", "open"],
    ["closed", "closed"],
    ["merged", "closed"],
  ])("reads a merge request GitLab calls %s as %s, with its head", async (state, expected) => {
    nock(HOST).get(MR).reply(200, mergeRequestBody({ state }));

    expect(await new GitLabForge(testClient()).pullRequest(ref)).toEqual({
      state: expected,
      headSha: OTHER_SHA,
      headBranch: "feature/login",
      fork: false,
    });
  });

  it("knows a fork by its source project", async () => {
    nock(HOST)
      .get(MR)
      .reply(200, mergeRequestBody({ fork: true }));

    expect((await new GitLabForge(testClient()).pullRequest(ref)).fork).toBe(true);
  });
});

describe("GitLabForge.canWrite", () => {
  function lookUp(username: string, found: Record<string, unknown>[]) {
    return nock(HOST).get("/api/v4/users").query({ username }).reply(200, found);
  }

  it.each([
    [10, "Guest", false],
    [15, "Planner", false],
    [20, "Reporter", false],
    [30, "Developer", true],
    [40, "Maintainer", true],
    [50, "Owner", true],
  ])("answers access level %i (%s) with %s, counting inherited roles", async (level, _role, expected) => {
    lookUp("sam", [user(52, "sam")]);
    nock(HOST)
      .get(`${PROJECT}/members/all/52`)
      .reply(200, member(52, "sam", level));

    expect(await new GitLabForge(testClient()).canWrite(ref, "sam")).toBe(expected);
  });

  it("says no for a user who is no member (404) or does not exist", async () => {
    lookUp("kim", [user(53, "kim")]);
    nock(HOST).get(`${PROJECT}/members/all/53`).reply(404, { message: "404 Not found" });
    expect(await new GitLabForge(testClient()).canWrite(ref, "kim")).toBe(false);

    lookUp("ghost", []);
    expect(await new GitLabForge(testClient()).canWrite(ref, "ghost")).toBe(false);
  });

  it("throws when GitLab cannot say, rather than guess", async () => {
    lookUp("sam", [user(52, "sam")]);
    nock(HOST).get(`${PROJECT}/members/all/52`).reply(500, { message: "500 Internal Server Error" });

    await expect(new GitLabForge(testClient()).canWrite(ref, "sam")).rejects.toMatchObject({
      kind: "transient",
      message: expect.stringContaining("checking sam's role on acme/platform/shop"),
    });
  });
});

describe("GitLabForge.acknowledge", () => {
  const AWARDS = `${MR}/notes/1244/award_emoji`;

  it.each([
    ["+1", "thumbsup"],
    ["-1", "thumbsdown"],
    ["eyes", "eyes"],
  ] as const)("awards %s as :%s: on the note", async (reaction, name) => {
    const post = nock(HOST).post(AWARDS, { name }).reply(201, awardEmoji(7001, name));

    await new GitLabForge(testClient()).acknowledge(ref, "1244", reaction);

    expect(post.isDone()).toBe(true);
  });

  it("takes an emoji already given as done", async () => {
    nock(HOST).post(AWARDS).reply(404, { message: "404 Award Emoji Name has already been taken Not Found" });
    await new GitLabForge(testClient()).acknowledge(ref, "1244", "+1");

    nock(HOST).post(AWARDS).reply(409, { message: "409 Conflict" });
    await new GitLabForge(testClient()).acknowledge(ref, "1244", "+1");
  });

  it("refuses a note id that is no number, before asking GitLab", async () => {
    await expect(new GitLabForge(testClient()).acknowledge(ref, "abc", "+1")).rejects.toMatchObject({
      kind: "internal",
    });
  });

  it("keeps other failures errors", async () => {
    nock(HOST).post(AWARDS).reply(403, { message: "403 Forbidden" });

    await expect(new GitLabForge(testClient()).acknowledge(ref, "1244", "+1")).rejects.toMatchObject({
      kind: "permanent",
      status: 403,
    });
  });
});

describe("the merge request a ref names", () => {
  it("is asked for by the project id, whatever the path says", async () => {
    nock(HOST).get("/api/v4/projects/15/merge_requests/42").reply(200, mergeRequestBody());

    await new GitLabForge(testClient()).pullRequest({ ...ref, repo: "acme/renamed/shop" });
  });

  it("says so when the merge request is gone", async () => {
    nock(HOST).get(MR).reply(404, notFound);

    await expect(new GitLabForge(testClient()).pullRequest(ref)).rejects.toMatchObject({
      kind: "permanent",
      status: 404,
    });
  });
});

describe("GitLabForge.headSince and pullRequestCommits", () => {
  // GitLab lists diff versions newest first; one is made on every push.
  const version = (id: number, head: string, createdAt: string) => ({
    id,
    head_commit_sha: head,
    base_commit_sha: "0".repeat(40),
    start_commit_sha: "0".repeat(40),
    created_at: createdAt,
    merge_request_id: 5042,
    state: "collected",
    real_size: "1",
  });

  it("is the creation of the newest diff version when that version is of the head", async () => {
    nock(HOST)
      .get(`${MR}/versions`)
      .reply(200, [version(12, SHA, "2026-11-02T10:05:00.000Z"), version(11, OTHER_SHA, "2026-11-02T10:00:00.000Z")]);

    expect(await new GitLabForge(testClient()).headSince(ref, SHA)).toBe("2026-11-02T10:05:00.000Z");
  });

  it("is unknown when the newest version is of another commit (the head moved since GitLab was asked)", async () => {
    nock(HOST)
      .get(`${MR}/versions`)
      .reply(200, [version(12, OTHER_SHA, "2026-11-02T10:05:00.000Z"), version(11, SHA, "2026-11-02T10:00:00.000Z")]);

    expect(await new GitLabForge(testClient()).headSince(ref, SHA)).toBeNull();
  });

  it("lists the merge request's commits by full SHA", async () => {
    nock(HOST)
      .get(`${MR}/commits`)
      .query(true)
      .reply(200, [
        { id: SHA, short_id: SHA.slice(0, 8) },
        { id: OTHER_SHA, short_id: OTHER_SHA.slice(0, 8) },
      ]);

    expect(await new GitLabForge(testClient()).pullRequestCommits(ref)).toEqual([SHA, OTHER_SHA]);
  });
});
