import { Writable } from "node:stream";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { GitHubError, redact, retryAfter } from "../../../../src/forges/github/errors.js";
import { GitHubForge } from "../../../../src/forges/github/forge.js";
import { createLogger } from "../../../../src/log.js";
import { useStrictNock } from "../../../support/nock.js";
import { API, SHA, TOKEN, notFound, ref, testBot, testOctokit } from "./fixtures.js";

useStrictNock();

const STATUSES = `/repos/acme/shop/statuses/${SHA}`;
const WHAT = "creating the commit status on acme/shop@0123456";
const secondary = {
  message:
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0C3D:2A3B:1F2E3D:4C5B6A:6745F0A1.",
  documentation_url:
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
  status: "403",
};

async function setStatus(octokit = testOctokit()): Promise<GitHubError> {
  const error = await new GitHubForge(octokit, testBot)
    .setCommitStatus(ref, SHA, { state: "pending", description: "Deploying" })
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  expect(error).toBeInstanceOf(GitHubError);
  return error as GitHubError;
}

describe("GitHub errors", () => {
  it.each([500, 502, 503, 504])("calls a %i transient", async (status) => {
    nock(API).post(STATUSES).reply(status, { message: "Server Error" });

    const error = await setStatus();

    expect(error).toMatchObject({
      kind: "transient",
      status,
      message: `${WHAT}: GitHub answered ${status}: Server Error`,
    });
  });

  it("calls a 429 transient and keeps GitHub's retry-after for the queue", async () => {
    nock(API).post(STATUSES).reply(429, { message: "Too Many Requests" }, { "retry-after": "42" });

    expect(await setStatus()).toMatchObject({ kind: "transient", retryAfterMs: 42_000 });
  });

  it("calls a secondary rate limit (403 with retry-after) transient", async () => {
    nock(API).post(STATUSES).reply(403, secondary, { "retry-after": "60", "x-ratelimit-remaining": "4321" });

    const error = await setStatus();

    expect(error).toMatchObject({ kind: "transient", status: 403, retryAfterMs: 60_000 });
    expect(error.hint).toContain("rate-limits");
  });

  it("knows a secondary rate limit by GitHub's words when retry-after is missing, and waits a minute", async () => {
    nock(API).post(STATUSES).reply(403, secondary);

    expect(await setStatus()).toMatchObject({ kind: "transient", retryAfterMs: 60_000 });
  });

  it("calls an exhausted primary rate limit transient until its reset", async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    nock(API)
      .post(STATUSES)
      .reply(
        403,
        { message: "API rate limit exceeded for installation ID 4242." },
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      );

    const error = await setStatus();

    expect(error.kind).toBe("transient");
    expect(error.retryAfterMs).toBeGreaterThan(110_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it("calls a plain 403 permanent: a missing permission does not come back by waiting", async () => {
    nock(API)
      .post(STATUSES)
      .reply(403, { message: "Resource not accessible by integration" }, { "x-ratelimit-remaining": "4999" });

    expect(await setStatus()).toMatchObject({ kind: "permanent", status: 403 });
  });

  it.each([
    [401, { message: "Bad credentials" }, "GitHub answered 401: Bad credentials"],
    [404, notFound, "GitHub answered 404: Not Found"],
    [
      422,
      {
        message: "Validation Failed",
        errors: [{ resource: "Status", code: "custom", field: "state", message: "state is not included in the list" }],
      },
      "GitHub answered 422: Validation Failed (state is not included in the list)",
    ],
  ])("calls a %i permanent and says what failed", async (status, body, said) => {
    nock(API).post(STATUSES).reply(status, body);

    expect(await setStatus()).toMatchObject({ kind: "permanent", status, message: `${WHAT}: ${said}` });
  });

  it("calls a network failure transient", async () => {
    nock(API)
      .post(STATUSES)
      .replyWithError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));

    const error = await setStatus();

    expect(error).toMatchObject({ kind: "transient", status: undefined });
    expect(error.message).toBe(`${WHAT}: cannot reach GitHub (ECONNRESET)`);
  });

  it("ends as one transient error when a 5xx outlasts Octokit's own retries", async () => {
    nock(API).post(STATUSES).times(4).reply(502, { message: "Server Error" });

    expect(await setStatus(testOctokit({ retry: true }))).toMatchObject({ kind: "transient", status: 502 });
  });

  it("never lets the token into a message, a hint or a log line", async () => {
    nock(API).post(STATUSES).matchHeader("authorization", `token ${TOKEN}`).reply(401, { message: "Bad credentials" });
    const lines: string[] = [];
    const log = createLogger({
      destination: new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }),
    });

    const error = await setStatus();
    log.error({ err: error }, error.message);

    expect(error.message).not.toContain(TOKEN);
    expect(error.hint ?? "").not.toContain(TOKEN);
    expect(lines.join("")).toContain("Bad credentials");
    expect(lines.join("")).not.toContain(TOKEN);
    // Whoever logs the cause (Octokit's RequestError, with the request it made) leaks nothing either.
    expect(JSON.stringify(error.cause)).toContain("authorization");
    expect(JSON.stringify(error.cause)).not.toContain(TOKEN);
  });

  it("calls a ref it cannot handle a bug in the caller, before asking GitHub", async () => {
    const forge = new GitHubForge(testOctokit(), testBot);

    await expect(
      forge.createComment({ ...ref, forge: "gitlab", repo: "group/sub/project" }, "x"),
    ).rejects.toMatchObject({
      kind: "internal",
      message: 'the GitHub adapter was handed gitlab repository "group/sub/project"',
    });
  });
});

describe("redact", () => {
  it("removes installation tokens, bearer values and token query parameters", () => {
    expect(redact("token ghs_16C7e42F292c6912E7710c838347Ae178B4a failed")).toBe("token [redacted] failed");
    expect(redact("GET https://codeload.github.com/acme/shop/legacy.tar.gz/abc?token=AABBCC&x=1")).toBe(
      "GET https://codeload.github.com/acme/shop/legacy.tar.gz/abc?token=[redacted]&x=1",
    );
    expect(redact("authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig")).toBe("authorization: Bearer [redacted]");
    expect(redact("creating the commit status on acme/shop@0123456")).toBe(
      "creating the commit status on acme/shop@0123456",
    );
  });
});

describe("retryAfter", () => {
  it("reads seconds, an HTTP date, or the rate-limit reset", () => {
    const now = Date.parse("2026-11-02T10:00:00Z");
    expect(retryAfter({ "retry-after": "5" }, now)).toBe(5_000);
    expect(retryAfter({ "retry-after": "Mon, 02 Nov 2026 10:01:00 GMT" }, now)).toBe(60_000);
    expect(retryAfter({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 30) }, now)).toBe(
      30_000,
    );
    expect(retryAfter({ "x-ratelimit-remaining": "12" }, now)).toBeUndefined();
  });
});
