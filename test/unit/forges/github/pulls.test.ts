import nock from "nock";
import { describe, expect, it } from "vitest";
import { PrboxError } from "../../../../src/errors.js";
import { GitHubForge } from "../../../../src/forges/github/forge.js";
import { useStrictNock } from "../../../support/nock.js";
import { API, SHA, issueComment, notFound, pullRequestBody, ref, testBot, testOctokit } from "./fixtures.js";

useStrictNock();

describe("GitHubForge.pullRequest", () => {
  it("reads state and head of a PR from a branch of the same repository", async () => {
    nock(API).get("/repos/acme/shop/pulls/42").reply(200, pullRequestBody());

    expect(await new GitHubForge(testOctokit(), testBot).pullRequest(ref)).toEqual({
      state: "open",
      headSha: SHA,
      headBranch: "feature/login",
      fork: false,
    });
  });

  it("sees a fork when the head lives in another repository", async () => {
    nock(API)
      .get("/repos/acme/shop/pulls/42")
      .reply(200, pullRequestBody({ fork: true }));

    expect((await new GitHubForge(testOctokit(), testBot).pullRequest(ref)).fork).toBe(true);
  });

  it("takes a head whose repository was deleted for a fork", async () => {
    nock(API)
      .get("/repos/acme/shop/pulls/42")
      .reply(200, pullRequestBody({ headRepoDeleted: true, state: "closed" }));

    expect(await new GitHubForge(testOctokit(), testBot).pullRequest(ref)).toMatchObject({
      state: "closed",
      fork: true,
    });
  });

  it("throws a permanent error for a PR that does not exist", async () => {
    nock(API).get("/repos/acme/shop/pulls/42").reply(404, notFound);

    const error = await new GitHubForge(testOctokit(), testBot).pullRequest(ref).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PrboxError);
    expect(error).toMatchObject({
      kind: "permanent",
      message:
        "reading acme/shop#42: the pull request does not exist or the GitHub App cannot read the repository (GitHub answered 404)",
    });
  });
});

describe("GitHubForge.acknowledge and reply", () => {
  it("reacts to the command comment", async () => {
    const reaction = nock(API)
      .post("/repos/acme/shop/issues/comments/1001/reactions", { content: "eyes" })
      .reply(201, {
        id: 9001,
        node_id: "REA_lALOAbcdef",
        user: issueComment(1, "").user,
        content: "eyes",
        created_at: "2026-11-02T10:00:00Z",
      });

    await new GitHubForge(testOctokit(), testBot).acknowledge(ref, "1001", "eyes");

    expect(reaction.isDone()).toBe(true);
  });

  it("refuses a comment id that is not a number: a bug in the caller", async () => {
    const error = await new GitHubForge(testOctokit(), testBot)
      .acknowledge(ref, "note_17", "+1")
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ kind: "internal" });
  });

  it("replies with a plain comment", async () => {
    const body = "Only people with write access can run `/reload`.";
    const post = nock(API).post("/repos/acme/shop/issues/42/comments", { body }).reply(201, issueComment(3001, body));

    expect(await new GitHubForge(testOctokit(), testBot).createComment(ref, body)).toBe("3001");

    expect(post.isDone()).toBe(true);
  });
});

describe("GitHubForge.headSince", () => {
  const PR = "/repos/acme/shop/pulls/42";
  const withPush = (pushedAt: string, options: { fork?: boolean; headRepoDeleted?: boolean } = {}) => {
    const pr = pullRequestBody(options);
    const head = pr.head as { repo: Record<string, unknown> | null };
    if (head.repo) head.repo = { ...head.repo, pushed_at: pushedAt };
    return pr;
  };

  it("is the head repository's last push, by GitHub's clock (a fork's own)", async () => {
    nock(API)
      .get(PR)
      .reply(200, withPush("2026-11-02T10:05:00Z", { fork: true }));

    expect(await new GitHubForge(testOctokit(), testBot).headSince(ref, SHA)).toBe("2026-11-02T10:05:00Z");
  });

  it("is unknown when the head moved since it was read, or its repository is gone", async () => {
    nock(API)
      .get(PR)
      .reply(200, withPush("2026-11-02T10:05:00Z"))
      .get(PR)
      .reply(200, withPush("", { headRepoDeleted: true }));

    expect(await new GitHubForge(testOctokit(), testBot).headSince(ref, "f".repeat(40))).toBeNull();
    expect(await new GitHubForge(testOctokit(), testBot).headSince(ref, SHA)).toBeNull();
  });
});
