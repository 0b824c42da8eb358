// PRBOX_REQUIRED_CHECKS on GitLab at the edge: Pipeline Hooks (fixtures/gitlab/pipeline.*.json,
// after GitLab's "Pipeline events" documentation) and the pipelines and jobs asked through the
// API (nock, after GitLab's Pipelines, Jobs and Merge requests API documentation), into a real Redis.
import nock from "nock";
import { describe, expect, it } from "vitest";
import { jobsVerdict, requiredJobs } from "../../../../src/forges/gitlab/pipelines.js";
import { prEnvironmentId } from "../../../../src/spec/naming.js";
import { harness, type Harness } from "../../queue/support.js";
import { useStrictNock } from "../../../support/nock.js";
import {
  HOST,
  OTHER_SHA,
  PROJECT,
  PROJECT_ID,
  SHA,
  hook,
  mergeRequestBody,
  testClient,
  user,
} from "../../../unit/forges/gitlab/fixtures.js";
import { deliver, webhookServer } from "../../../unit/forges/gitlab/webhook-support.js";

useStrictNock();

const ENV = prEnvironmentId("gitlab", "acme/platform/shop", 42);
const MR_HOOK = "Merge Request Hook";
const PIPELINE_HOOK = "Pipeline Hook";
const REQUIRED = { requiredChecks: ["build-image"] };

/** `GET /projects/:id/pipelines?sha=…` as GitLab answers it, newest first. */
function pipelinesOn(sha: string, ids: number[]) {
  return nock(HOST)
    .get(`${PROJECT}/pipelines`)
    .query((q) => q.sha === sha && q.order_by === "id" && q.sort === "desc")
    .reply(
      200,
      ids.map((id) => ({
        id,
        iid: id - 2000,
        project_id: PROJECT_ID,
        sha,
        ref: "feature/login",
        status: "success",
        source: "push",
        created_at: "2026-11-20T09:12:03.000Z",
        updated_at: "2026-11-20T09:16:40.000Z",
        web_url: `${HOST}/acme/platform/shop/-/pipelines/${id}`,
      })),
    );
}

/** `GET /projects/:id/pipelines/:pipeline_id/jobs` (the latest try of each job, as GitLab lists them). */
function jobsOf(pipeline: number, jobs: Record<string, string>) {
  return nock(HOST)
    .get(`${PROJECT}/pipelines/${pipeline}/jobs`)
    .query(true)
    .reply(
      200,
      Object.entries(jobs).map(([name, status], i) => ({
        id: pipeline * 10 + i,
        name,
        stage: "build",
        status,
        allow_failure: false,
        ref: "feature/login",
        created_at: "2026-11-20T09:12:03.000Z",
        pipeline: { id: pipeline, project_id: PROJECT_ID, sha: SHA, status },
        user: user(52, "sam"),
        web_url: `${HOST}/acme/platform/shop/-/jobs/${pipeline * 10 + i}`,
      })),
    );
}

/** An opened MR whose head's pipelines hold no required job yet: it waits for them. */
async function openWaiting(url: string, h: Harness): Promise<void> {
  pipelinesOn(SHA, []);
  expect(await deliver(url, { event: MR_HOOK, body: hook("merge_request.open") })).toEqual({
    status: 200,
    text: "opened: queued",
  });
  expect(await h.store.getDesired(ENV)).toMatchObject({
    action: "wait",
    waitReason: "waiting for the checks build-image to pass on `0123456`",
  });
}

describe("the verdict on required GitLab jobs", () => {
  it("passes only a job that succeeded: allow_failure does not make a failed job pass, skipped and canceled fail", () => {
    expect(jobsVerdict([{ name: "build-image", status: "success" }], ["build-image"], SHA)).toEqual({
      settled: true,
      passed: true,
      summary: "all required checks passed",
    });
    for (const status of ["failed", "canceled", "skipped"]) {
      expect(jobsVerdict([{ name: "build-image", status }], ["build-image"], SHA)).toEqual({
        settled: true,
        passed: false,
        summary: "the check build-image failed on `0123456`",
      });
    }
  });

  it("waits for a job that is to come: created, pending, running, a manual job nobody played, or one in no pipeline", () => {
    for (const status of [
      "created",
      "waiting_for_resource",
      "preparing",
      "pending",
      "running",
      "manual",
      "scheduled",
    ]) {
      expect(jobsVerdict([{ name: "build-image", status }], ["build-image"], SHA)).toEqual({
        settled: false,
        passed: false,
        summary: "waiting for build-image",
      });
    }
    expect(jobsVerdict([{ name: "unit", status: "success" }], ["build-image", "unit"], SHA)).toMatchObject({
      settled: false,
      summary: "waiting for build-image",
    });
  });

  it("takes a name's newest job: a later pipeline's success outweighs an earlier failure", () => {
    const jobs = [
      { name: "build-image", status: "success" },
      { name: "build-image", status: "failed" },
    ];
    expect(jobsVerdict(jobs, ["build-image"], SHA)).toMatchObject({ settled: true, passed: true });
  });
});

describe("the required jobs through GitLab's API", () => {
  it("reads the newest pipeline on the commit, and an older one only for a job the newest lacks", async () => {
    pipelinesOn(SHA, [2302, 2301]);
    jobsOf(2302, { unit: "success" });
    jobsOf(2301, { "build-image": "success", unit: "failed" });
    const project = { api: testClient(), projectId: PROJECT_ID, path: "acme/platform/shop" };

    expect(await requiredJobs(project, SHA, ["build-image", "unit"])).toEqual({
      settled: true,
      passed: true,
      summary: "all required checks passed",
    });
  });

  it("stops at the newest pipeline when it has every required job", async () => {
    pipelinesOn(SHA, [2302, 2301]);
    jobsOf(2302, { "build-image": "running" });
    const project = { api: testClient(), projectId: PROJECT_ID, path: "acme/platform/shop" };

    expect(await requiredJobs(project, SHA, ["build-image"])).toMatchObject({
      settled: false,
      summary: "waiting for build-image",
    });
  });
});

describe("the GitLab webhook, Pipeline Hook", () => {
  it("deploys a waiting merge request when its merge request pipeline's required job succeeded, without asking GitLab", async () => {
    const h = await harness();
    const { url, seen } = await webhookServer(h.store, h.queue, { policy: REQUIRED });
    await openWaiting(url, h);

    const answer = await deliver(url, { event: PIPELINE_HOOK, body: hook("pipeline.merge_request-success") });

    expect(answer).toEqual({ status: 200, text: "checks passed: !42 queued" });
    expect(await h.store.getDesired(ENV)).toMatchObject({
      sha: SHA,
      action: "deploy",
      waitReason: null,
      checksPassedSha: SHA,
    });
    expect(seen.at(-1)).toEqual(["pipeline", "queued"]);
  });

  it("changes nothing while a required job runs", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue, { policy: REQUIRED });
    await openWaiting(url, h);
    const before = await h.store.getDesired(ENV);

    const answer = await deliver(url, { event: PIPELINE_HOOK, body: hook("pipeline.merge_request-running") });

    expect(answer).toEqual({ status: 200, text: "ignored: pipeline 2301: waiting for build-image" });
    expect(await h.store.getDesired(ENV)).toEqual(before);
  });

  it("finds the merge requests of a branch pipeline through the API and says on them that the job failed", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue, { policy: REQUIRED });
    await openWaiting(url, h);
    nock(HOST)
      .get(`${PROJECT}/merge_requests`)
      .query({ state: "opened", source_branch: "feature/login", per_page: "100" })
      .reply(200, [mergeRequestBody({ sha: SHA }), { ...mergeRequestBody({ sha: OTHER_SHA }), iid: 43 }]);

    const answer = await deliver(url, { event: PIPELINE_HOOK, body: hook("pipeline.branch-failed") });

    expect(answer).toEqual({ status: 200, text: "checks failed: !42 queued" });
    expect(await h.store.getDesired(ENV)).toMatchObject({
      action: "wait",
      waitReason: "the check build-image failed on `0123456`",
      checksPassedSha: null,
    });
    expect(await h.store.getDesired(prEnvironmentId("gitlab", "acme/platform/shop", 43))).toBeNull();
  });

  it("ignores a branch pipeline no open merge request has at its head", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue, { policy: REQUIRED });
    nock(HOST)
      .get(`${PROJECT}/merge_requests`)
      .query(true)
      .reply(200, [mergeRequestBody({ sha: OTHER_SHA })]);

    const answer = await deliver(url, { event: PIPELINE_HOOK, body: hook("pipeline.branch-failed") });

    expect(answer).toEqual({
      status: 200,
      text: "ignored: pipeline 2297 ran for no open merge request of acme/platform/shop",
    });
    expect(await h.store.listDesired()).toEqual([]);
  });

  it("decides at once for a merge request opened after its pipeline finished (the Pipeline Hook came first)", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue, { policy: REQUIRED });
    pipelinesOn(SHA, [2301]);
    jobsOf(2301, { "build-image": "success", lint: "failed" });

    const answer = await deliver(url, { event: MR_HOOK, body: hook("merge_request.open") });

    expect(answer).toEqual({ status: 200, text: "opened: queued; checks settled: queued" });
    expect(await h.store.getDesired(ENV)).toMatchObject({ action: "deploy", checksPassedSha: SHA });
  });

  it("processes a pipeline delivery GitLab sends twice with the same Idempotency-Key once", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue, { policy: REQUIRED });
    await openWaiting(url, h);

    const first = await deliver(url, {
      event: PIPELINE_HOOK,
      body: hook("pipeline.merge_request-success"),
      key: "5f0c1d4e-pipeline-2301",
    });
    const again = await deliver(url, {
      event: PIPELINE_HOOK,
      body: hook("pipeline.merge_request-success"),
      key: "5f0c1d4e-pipeline-2301",
    });

    expect(first.text).toBe("checks passed: !42 queued");
    expect(again).toEqual({ status: 200, text: "checks passed: !42 duplicate" });
    expect((await h.store.getDesired(ENV))?.generation).toBe(2);
  });

  it("answers 200 and stores nothing when GitLab cannot list a branch pipeline's merge requests, 400 to a broken payload", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue, { policy: REQUIRED });
    nock(HOST).get(`${PROJECT}/merge_requests`).query(true).reply(500, { message: "500 Internal Server Error" });

    const failed = await deliver(url, { event: PIPELINE_HOOK, body: hook("pipeline.branch-failed") });
    const broken = hook("pipeline.merge_request-success");
    delete broken.object_attributes.sha;

    expect(failed.status).toBe(200);
    expect(failed.text).toMatch(
      /^not processed: listing the open merge requests of acme\/platform\/shop from feature\/login: GitLab answered 500/,
    );
    expect(await deliver(url, { event: PIPELINE_HOOK, body: broken })).toEqual({
      status: 400,
      text: "not a pipeline payload: object_attributes.sha: Invalid input: expected string, received undefined",
    });
    expect(await h.store.listDesired()).toEqual([]);
  });

  it("leaves a merge request event stored when GitLab cannot list its pipelines", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue, { policy: REQUIRED });
    nock(HOST).get(`${PROJECT}/pipelines`).query(true).reply(403, { message: "403 Forbidden" });

    expect(await deliver(url, { event: MR_HOOK, body: hook("merge_request.open") })).toEqual({
      status: 200,
      text: "opened: queued",
    });
    expect(await h.store.getDesired(ENV)).toMatchObject({ action: "wait" });
  });
});
