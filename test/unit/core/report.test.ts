// What the PR is told while a failure is retried, and after the last attempt. Pure.
import { describe, expect, it } from "vitest";
import { commentBody, commitStatus, environmentState, type Report } from "../../../src/core/report.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const unreachable =
  "cannot reach the Kubernetes API at https://10.0.0.1:6443: connection refused\nhint: check the API server";

describe("failure reports", () => {
  it("says when the next try is, which attempt it is, and why, keeping the commit pending", () => {
    const report: Report = {
      state: "failed",
      sha: SHA,
      error: unreachable,
      retry: { inMs: 15_400, attempt: 3, of: 8 },
    };
    const body = commentBody(report);
    expect(body.split("\n")[0]).toBe(
      "**prbox preview**: ⏳ retrying in 16 s (attempt 3 of 8): ` cannot reach the Kubernetes API at https://10.0.0.1:6443: connection refused `",
    );
    expect(body).toContain("hint: check the API server");
    expect(commitStatus(report)).toEqual({
      state: "pending",
      description: "Retrying in 16 s: cannot reach the Kubernetes API at https://10.0.0.1:6443: connection refused",
    });
    expect(environmentState(report)).toBeNull();
  });

  it("reports the last attempt as a failure of the commit", () => {
    const report: Report = { state: "failed", sha: SHA, error: unreachable, retry: null };
    expect(commentBody(report)).toMatch(/^\*\*prbox preview\*\*: ❌ deploying `0123456` failed\./);
    expect(commentBody(report)).not.toContain("retrying");
    expect(commitStatus(report)?.state).toBe("failure");
    expect(environmentState(report)).toBe("failure");
  });

  it("keeps markdown in an error's first line inert", () => {
    const report: Report = {
      state: "failed",
      sha: SHA,
      error: "ConfigMap `x` ![img](https://evil.example/a.png) @team",
      retry: { inMs: 300, attempt: 2, of: 8 },
    };
    expect(commentBody(report).split("\n")[0]).toBe(
      "**prbox preview**: ⏳ retrying in 1 s (attempt 2 of 8): `` ConfigMap `x` ![img](https://evil.example/a.png) @team ``",
    );
  });

  it("reports a failed teardown on the comment only: the commit's status is the deploy's", () => {
    const report: Report = { state: "failed", sha: SHA, error: unreachable, retry: null, deleting: true };
    expect(commentBody(report)).toMatch(/❌ deleting the environment failed\./);
    expect(commitStatus(report)).toBeNull();
    expect(environmentState(report)).toBeNull();
  });

  it("announces a queued job with the comment and a pending status", () => {
    const report: Report = { state: "queued", sha: SHA };
    expect(commentBody(report)).toContain("⏳ queued, deploying `0123456` shortly.");
    expect(commitStatus(report)).toEqual({ state: "pending", description: "Deploying the preview" });
    expect(environmentState(report)).toBeNull();
  });
});

describe("the teardown report", () => {
  it("says how to bring the preview back when the PR is open, and nothing of the kind when it is closed", () => {
    expect(commentBody({ state: "destroyed", reason: "no activity for 72h", open: true })).toBe(
      "**prbox preview**: 🧹 environment deleted (no activity for 72h). Push a commit or comment `/deploy` to deploy it again.",
    );
    expect(commentBody({ state: "destroyed", reason: "the pull request was closed" })).toBe(
      "**prbox preview**: 🧹 environment deleted (the pull request was closed).",
    );
  });
});
