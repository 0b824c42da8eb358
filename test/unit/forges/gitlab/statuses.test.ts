import nock from "nock";
import { describe, expect, it } from "vitest";
import type { CommitStatus } from "../../../../src/core/forge.js";
import { GitLabForge } from "../../../../src/forges/gitlab/forge.js";
import { useStrictNock } from "../../../support/nock.js";
import { HOST, MR, PROJECT, SHA, commitStatus, mergeRequestBody, ref, testClient } from "./fixtures.js";

useStrictNock();

const STATUSES = `${PROJECT}/statuses/${SHA}`;
const LIST = `${PROJECT}/repository/commits/${SHA}/statuses`;
/** The merge request, asked once for the ref its statuses name. */
function mergeRequestIs(options: { fork?: boolean } = {}): nock.Scope {
  return nock(HOST)
    .get(MR)
    .reply(200, mergeRequestBody({ fork: options.fork }));
}

const sameState = {
  message: 'Cannot transition status via :run from :running (Reason(s): Status cannot transition via "run")',
};

describe("GitLabForge.setCommitStatus", () => {
  it.each<[CommitStatus["state"], string]>([
    ["pending", "running"],
    ["success", "success"],
    ["failure", "failed"],
    ["error", "failed"],
  ])("posts prbox's %s as GitLab's %s, named prbox, with its link", async (state, gitlabState) => {
    mergeRequestIs();
    const post = nock(HOST)
      .post(STATUSES, {
        state: gitlabState,
        name: "prbox",
        ref: "feature/login",
        description: "Preview ready in 42 s",
        target_url: "https://pr-42.preview.acme.dev",
      })
      .reply(201, commitStatus(gitlabState, "Preview ready in 42 s"));

    await new GitLabForge(testClient()).setCommitStatus(ref, SHA, {
      state,
      description: "Preview ready in 42 s",
      url: "https://pr-42.preview.acme.dev",
    });

    expect(post.isDone()).toBe(true);
  });

  it("sends no target_url without a link and keeps the description to GitLab's 255 characters", async () => {
    mergeRequestIs();
    nock(HOST)
      .post(
        STATUSES,
        (body: Record<string, unknown>) => !("target_url" in body) && String(body.description).length === 255,
      )
      .reply(201, commitStatus("failed", "x"));

    await new GitLabForge(testClient()).setCommitStatus(ref, SHA, { state: "failure", description: "y".repeat(400) });
  });

  it("takes GitLab's 400 for a state the status already has as done", async () => {
    mergeRequestIs();
    nock(HOST).post(STATUSES).reply(400, sameState);
    nock(HOST)
      .get(LIST)
      .query({ name: "prbox", ref: "feature/login" })
      .reply(200, [commitStatus("running", "Deploying the preview")]);

    await new GitLabForge(testClient()).setCommitStatus(ref, SHA, {
      state: "pending",
      description: "Deploying the preview",
    });
  });

  it("keeps a 400 an error when the status says something else", async () => {
    mergeRequestIs();
    nock(HOST)
      .post(STATUSES)
      .reply(400, { message: { target_url: ["is blocked: Only allowed schemes are http, https"] } });
    nock(HOST)
      .get(LIST)
      .query({ name: "prbox", ref: "feature/login" })
      .reply(200, [commitStatus("success", "Preview ready in 42 s")]);

    const error = await new GitLabForge(testClient())
      .setCommitStatus(ref, SHA, { state: "pending", description: "Deploying", url: "ftp://example.com" })
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      kind: "permanent",
      status: 400,
      message:
        'creating the commit status on acme/platform/shop@0123456: GitLab answered 400: {"target_url":["is blocked: Only allowed schemes are http, https"]}',
    });
  });

  it("names the merge request's ref for a fork's commit, which is on no branch of the target project (GitLab would answer 404)", async () => {
    mergeRequestIs({ fork: true });
    const post = nock(HOST)
      .post(STATUSES, (body: Record<string, unknown>) => body.ref === "refs/merge-requests/42/head")
      .reply(201, commitStatus("running", "Deploying"));

    await new GitLabForge(testClient()).setCommitStatus(ref, SHA, { state: "pending", description: "Deploying" });

    expect(post.isDone()).toBe(true);
  });

  it("asks GitLab for the merge request's source branch once, not before every status", async () => {
    mergeRequestIs();
    const posts = nock(HOST)
      .post(STATUSES, (body: Record<string, unknown>) => body.ref === "feature/login")
      .times(2)
      .reply(201, commitStatus("running", "x"));
    const forge = new GitLabForge(testClient());

    await forge.setCommitStatus(ref, SHA, { state: "pending", description: "Preview queued" });
    await forge.setCommitStatus(ref, SHA, { state: "success", description: "Preview ready" });

    expect(posts.isDone()).toBe(true);
  });
});
