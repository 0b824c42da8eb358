import nock from "nock";
import { describe, expect, it } from "vitest";
import { requiredChecks } from "../../../../src/forges/github/checks.js";
import { useStrictNock } from "../../../support/nock.js";
import { testOctokit } from "./fixtures.js";

useStrictNock();

const SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
const api = () => nock("https://api.github.com");

function checkRun(name: string, status: string, conclusion: string | null) {
  return {
    id: name.length,
    name,
    head_sha: SHA,
    status,
    conclusion,
    html_url: `https://github.com/acme/shop/runs/${name.length}`,
  };
}

function serve(runs: ReturnType<typeof checkRun>[], statuses: { context: string; state: string }[] = []) {
  api()
    .get(`/repos/acme/shop/commits/${SHA}/check-runs`)
    .query(true)
    .reply(200, { total_count: runs.length, check_runs: runs });
  api()
    .get(`/repos/acme/shop/commits/${SHA}/status`)
    .reply(200, { state: "success", sha: SHA, total_count: statuses.length, statuses });
}

describe("required checks on GitHub", () => {
  it("passes when every named check run succeeded, whatever else ran", async () => {
    serve([
      checkRun("build", "completed", "success"),
      checkRun("lint", "completed", "failure"),
      checkRun("test", "completed", "skipped"),
    ]);
    expect(await requiredChecks(testOctokit(), "acme/shop", SHA, ["build", "test"])).toEqual({
      settled: true,
      passed: true,
      summary: "all required checks passed",
    });
  });

  it("fails as soon as one named check failed, naming it", async () => {
    serve([checkRun("build", "completed", "failure"), checkRun("test", "in_progress", null)]);
    expect(await requiredChecks(testOctokit(), "acme/shop", SHA, ["build", "test"])).toEqual({
      settled: true,
      passed: false,
      summary: "the check build failed on `6dcb09b`",
    });
  });

  it("is not settled while a named check runs or has not started", async () => {
    serve([checkRun("build", "in_progress", null)]);
    expect(await requiredChecks(testOctokit(), "acme/shop", SHA, ["build", "image"])).toMatchObject({
      settled: false,
      summary: "waiting for build, image",
    });
  });

  it("reads commit statuses of older CI systems too", async () => {
    serve([], [{ context: "ci/jenkins", state: "success" }]);
    expect(await requiredChecks(testOctokit(), "acme/shop", SHA, ["ci/jenkins"])).toMatchObject({
      settled: true,
      passed: true,
    });
  });
});
