import nock from "nock";
import { describe, expect, it } from "vitest";
import { GitHubForge } from "../../../../src/forges/github/forge.js";
import { useStrictNock } from "../../../support/nock.js";
import { API, SHA, commitStatus, ref, testBot, testOctokit } from "./fixtures.js";

useStrictNock();

describe("GitHubForge.setCommitStatus", () => {
  it('posts the "prbox" status with its link', async () => {
    const post = nock(API)
      .post(`/repos/acme/shop/statuses/${SHA}`, {
        state: "success",
        context: "prbox",
        description: "Preview ready",
        target_url: "https://pr-42.preview.acme.dev",
      })
      .reply(201, commitStatus("success", "Preview ready", "https://pr-42.preview.acme.dev"));

    await new GitHubForge(testOctokit(), testBot).setCommitStatus(ref, SHA, {
      state: "success",
      description: "Preview ready",
      url: "https://pr-42.preview.acme.dev",
    });

    expect(post.isDone()).toBe(true);
  });

  it("cuts the description to GitHub's 140 characters and leaves out a missing link", async () => {
    const long = `Deploy failed: ${"Deployment api in shop-pr-42 is not ready: ImagePullBackOff ".repeat(4)}`;
    let sent: Record<string, unknown> = {};
    nock(API)
      .post(`/repos/acme/shop/statuses/${SHA}`, (body: Record<string, unknown>) => ((sent = body), true))
      .reply(201, commitStatus("failure", long.slice(0, 140), null));

    await new GitHubForge(testOctokit(), testBot).setCommitStatus(ref, SHA, {
      state: "failure",
      description: long,
      url: null,
    });

    expect(Array.from(sent.description as string)).toHaveLength(140);
    expect(sent.description).toMatch(/…$/);
    expect(sent).not.toHaveProperty("target_url");
  });
});
