// The check run "prbox" beside the commit status (src/forges/github/check-runs.ts), against
// GitHub's REST shapes recorded with nock: written when a deploy ends, one run per commit updated
// in place; a refused check run never fails the report.
import nock from "nock";
import { describe, expect, it } from "vitest";
import { GitHubForge } from "../../../../src/forges/github/forge.js";
import { createLogger } from "../../../../src/log.js";
import { LogCapture } from "../../../support/log-capture.js";
import { useStrictNock } from "../../../support/nock.js";
import { API, commitStatus, ref, testBot, testOctokit } from "./fixtures.js";

useStrictNock();

/** A commit per test, so no two tests share a run. */
let n = 0;
const nextSha = () => (++n).toString(16).padStart(40, "c");

function checkRun(id: number, sha: string, status: string, conclusion: string | null, slug = "prbox") {
  return {
    id,
    head_sha: sha,
    name: "prbox",
    status,
    conclusion,
    app: { id: 1, slug, owner: null },
    output: { title: "t", summary: "s", text: null },
    pull_requests: [],
  };
}

function statusPosted(sha: string) {
  return nock(API)
    .post(`/repos/acme/shop/statuses/${sha}`)
    .reply(201, commitStatus("pending", "x", null));
}

describe("the check run", () => {
  it("is written only for a deploy's outcome, never for progress or a hold, and created completed with the report as its summary", async () => {
    const sha = nextSha();
    const forge = new GitHubForge(testOctokit(), testBot);
    statusPosted(sha);
    // Progress, and a hold (no summary): the commit status alone (strict nock fails the test on any check-run request).
    await forge.setCommitStatus(ref, sha, { state: "pending", description: "Deploying the preview", summary: "…" });
    statusPosted(sha);
    await forge.setCommitStatus(ref, sha, { state: "success", description: "Preview not deployed: a draft" });

    statusPosted(sha);
    nock(API)
      .get(`/repos/acme/shop/commits/${sha}/check-runs`)
      .query({ check_name: "prbox", filter: "latest", per_page: "100" })
      .reply(200, { total_count: 1, check_runs: [checkRun(5, sha, "completed", "success", "someone-else")] });
    const created = nock(API)
      .post("/repos/acme/shop/check-runs", {
        name: "prbox",
        head_sha: sha,
        status: "completed",
        conclusion: "success",
        details_url: "https://pr-42.preview.acme.dev",
        output: { title: "Preview ready in 3 s", summary: "## ✅ ready\n\n| box | chart |" },
      })
      .reply(201, checkRun(77, sha, "completed", "success"));
    await forge.setCommitStatus(ref, sha, {
      state: "success",
      description: "Preview ready in 3 s",
      url: "https://pr-42.preview.acme.dev",
      summary: "## ✅ ready\n\n| box | chart |",
    });
    expect(created.isDone()).toBe(true);

    // The same job's next report on the commit updates the run it created, without a lookup.
    statusPosted(sha);
    const updated = nock(API)
      .patch("/repos/acme/shop/check-runs/77", (body: Record<string, unknown>) => body.conclusion === "failure")
      .reply(200, checkRun(77, sha, "completed", "failure"));
    await forge.setCommitStatus(ref, sha, { state: "failure", description: "Deploy failed", summary: "## ❌" });
    expect(updated.isDone()).toBe(true);
  });

  it("updates its own run when the commit is deployed again after a restart, and creates one when that run is gone", async () => {
    const sha = nextSha();
    statusPosted(sha);
    nock(API)
      .get(`/repos/acme/shop/commits/${sha}/check-runs`)
      .query(true)
      .reply(200, { total_count: 1, check_runs: [checkRun(90, sha, "completed", "failure")] });
    const updated = nock(API)
      .patch("/repos/acme/shop/check-runs/90", (body: Record<string, unknown>) => body.conclusion === "success")
      .reply(200, checkRun(90, sha, "completed", "success"));
    await new GitHubForge(testOctokit(), testBot).setCommitStatus(ref, sha, {
      state: "success",
      description: "ok",
      summary: "## ✅",
    });
    expect(updated.isDone()).toBe(true);

    statusPosted(sha);
    nock(API)
      .get(`/repos/acme/shop/commits/${sha}/check-runs`)
      .query(true)
      .reply(200, { total_count: 1, check_runs: [checkRun(90, sha, "completed", "success")] });
    nock(API).patch("/repos/acme/shop/check-runs/90").reply(404, { message: "Not Found" });
    const created = nock(API)
      .post("/repos/acme/shop/check-runs")
      .reply(201, checkRun(91, sha, "completed", "success"));
    await new GitHubForge(testOctokit(), testBot).setCommitStatus(ref, sha, {
      state: "success",
      description: "ok",
      summary: "## ✅",
    });
    expect(created.isDone()).toBe(true);
  });

  it("leaves the report whole when GitHub refuses the check run, and logs what to do", async () => {
    const sha = nextSha();
    const capture = new LogCapture();
    const forge = new GitHubForge(testOctokit(), testBot, {
      log: createLogger({ level: "warn", destination: capture }),
    });
    const status = statusPosted(sha);
    nock(API).get(`/repos/acme/shop/commits/${sha}/check-runs`).query(true).reply(200, {
      total_count: 0,
      check_runs: [],
    });
    nock(API).post("/repos/acme/shop/check-runs").reply(403, {
      message: "Resource not accessible by integration",
      documentation_url: "https://docs.github.com/rest/checks/runs#create-a-check-run",
    });
    await forge.setCommitStatus(ref, sha, { state: "failure", description: "Deploy failed", summary: "## ❌" });
    expect(status.isDone()).toBe(true);
    expect(capture.lines.join("")).toContain('GitHub refused the check run \\"prbox\\" (403)');
  });
});
