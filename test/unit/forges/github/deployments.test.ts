import nock from "nock";
import { describe, expect, it } from "vitest";
import type { ForgeEnvironmentStatus } from "../../../../src/core/forge.js";
import { GitHubForge } from "../../../../src/forges/github/forge.js";
import { useStrictNock } from "../../../support/nock.js";
import { API, OTHER_SHA, SHA, deployment, deploymentStatus, ref, testBot, testOctokit } from "./fixtures.js";

useStrictNock();

const ENV = "prbox/pr-42";
const LOG_URL = "https://github.com/acme/shop/pull/42";
const PREVIEW = "https://pr-42.preview.acme.dev";
const envId = "github-acme-shop-1a2b3c-pr-42";
const status = (state: ForgeEnvironmentStatus["state"], sha = SHA): ForgeEnvironmentStatus => ({
  environment: envId,
  sha,
  state,
  url: PREVIEW,
});

function deploymentsAt(sha: string, ...found: Record<string, unknown>[]) {
  return nock(API)
    .get("/repos/acme/shop/deployments")
    .query({ sha, environment: ENV, per_page: "1" })
    .reply(200, found);
}

function latestStatus(deploymentId: number, ...found: Record<string, unknown>[]) {
  return nock(API)
    .get(`/repos/acme/shop/deployments/${deploymentId}/statuses`)
    .query({ per_page: "1" })
    .reply(200, found);
}

describe("GitHubForge.setEnvironmentStatus", () => {
  it("creates a transient deployment for the SHA and reports it with environment_url and log_url", async () => {
    deploymentsAt(SHA);
    const create = nock(API)
      .post("/repos/acme/shop/deployments", {
        ref: SHA,
        environment: ENV,
        description: "Preview of acme/shop#42",
        transient_environment: true,
        production_environment: false,
        auto_merge: false,
        required_contexts: [],
        payload: { prbox: { environment: envId, pr: 42 } },
      })
      .reply(201, deployment(7001, SHA));
    latestStatus(7001);
    const report = nock(API)
      .post("/repos/acme/shop/deployments/7001/statuses", {
        state: "success",
        description: "Preview ready",
        log_url: LOG_URL,
        environment_url: PREVIEW,
      })
      .reply(
        201,
        deploymentStatus(7001, {
          state: "success",
          description: "Preview ready",
          log_url: LOG_URL,
          environment_url: PREVIEW,
        }),
      );

    await new GitHubForge(testOctokit(), testBot).setEnvironmentStatus(ref, status("success"));

    expect(create.isDone() && report.isDone()).toBe(true);
  });

  it("reuses the deployment of the same SHA instead of creating another", async () => {
    deploymentsAt(SHA, deployment(7001, SHA));
    latestStatus(7001, deploymentStatus(7001, { state: "in_progress", description: "Deploying", log_url: LOG_URL }));
    const report = nock(API)
      .post("/repos/acme/shop/deployments/7001/statuses", (body: { state?: string }) => body.state === "success")
      .reply(
        201,
        deploymentStatus(7001, {
          state: "success",
          description: "Preview ready",
          log_url: LOG_URL,
          environment_url: PREVIEW,
        }),
      );

    await new GitHubForge(testOctokit(), testBot).setEnvironmentStatus(ref, status("success"));

    expect(report.isDone()).toBe(true);
  });

  it("posts nothing when the latest status already says the same (a retried job)", async () => {
    deploymentsAt(SHA, deployment(7001, SHA));
    latestStatus(
      7001,
      deploymentStatus(7001, {
        state: "success",
        description: "Preview ready",
        log_url: LOG_URL,
        environment_url: PREVIEW,
      }),
    );

    await new GitHubForge(testOctokit(), testBot).setEnvironmentStatus(ref, status("success"));
  });

  it("gives a new SHA a deployment of its own", async () => {
    deploymentsAt(OTHER_SHA);
    const create = nock(API)
      .post("/repos/acme/shop/deployments", (body: { ref?: string }) => body.ref === OTHER_SHA)
      .reply(201, deployment(7002, OTHER_SHA));
    latestStatus(7002);
    nock(API)
      .post("/repos/acme/shop/deployments/7002/statuses", {
        state: "in_progress",
        description: "Deploying",
        log_url: LOG_URL,
        environment_url: PREVIEW,
      })
      .reply(201, deploymentStatus(7002, { state: "in_progress", description: "Deploying", log_url: LOG_URL }));

    await new GitHubForge(testOctokit(), testBot).setEnvironmentStatus(ref, status("in_progress", OTHER_SHA));

    expect(create.isDone()).toBe(true);
  });

  it("marks the environment's latest deployment inactive on teardown, without a link to the gone preview", async () => {
    nock(API)
      .get("/repos/acme/shop/deployments")
      .query({ environment: ENV, per_page: "1" })
      .reply(200, [deployment(7002, OTHER_SHA)]);
    latestStatus(
      7002,
      deploymentStatus(7002, {
        state: "success",
        description: "Preview ready",
        log_url: LOG_URL,
        environment_url: PREVIEW,
      }),
    );
    const inactive = nock(API)
      .post("/repos/acme/shop/deployments/7002/statuses", {
        state: "inactive",
        description: "Preview deleted",
        log_url: LOG_URL,
      })
      .reply(201, deploymentStatus(7002, { state: "inactive", description: "Preview deleted", log_url: LOG_URL }));

    await new GitHubForge(testOctokit(), testBot).setEnvironmentStatus(ref, { ...status("inactive"), description: "" });

    expect(inactive.isDone()).toBe(true);
  });

  it("has nothing to mark inactive when the PR was never deployed", async () => {
    nock(API).get("/repos/acme/shop/deployments").query({ environment: ENV, per_page: "1" }).reply(200, []);

    await new GitHubForge(testOctokit(), testBot).setEnvironmentStatus(ref, status("inactive"));
  });

  it("links GitHub Enterprise Server's web pages when the API lives there", async () => {
    const ghe = "https://github.acme.internal/api/v3";
    const octokit = testOctokit({ baseUrl: ghe });
    nock(ghe)
      .get("/repos/acme/shop/deployments")
      .query({ sha: SHA, environment: ENV, per_page: "1" })
      .reply(200, [deployment(7001, SHA)]);
    nock(ghe).get("/repos/acme/shop/deployments/7001/statuses").query({ per_page: "1" }).reply(200, []);
    const report = nock(ghe)
      .post(
        "/repos/acme/shop/deployments/7001/statuses",
        (body: { log_url?: string }) => body.log_url === "https://github.acme.internal/acme/shop/pull/42",
      )
      .reply(201, deploymentStatus(7001, { state: "queued", description: "Waiting to deploy", log_url: LOG_URL }));

    await new GitHubForge(octokit, testBot).setEnvironmentStatus(ref, status("queued"));

    expect(report.isDone()).toBe(true);
  });
});
