import { inspect } from "node:util";
import { Writable } from "node:stream";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { GitLabError, redact } from "../../../../src/forges/gitlab/errors.js";
import { GitLabForge } from "../../../../src/forges/gitlab/forge.js";
import { createLogger } from "../../../../src/log.js";
import { useStrictNock } from "../../../support/nock.js";
import { HOST, MR, TOKEN, notFound, ref, testClient } from "./fixtures.js";

useStrictNock();

const WHAT = "reading acme/platform/shop!42";

async function readMergeRequest(forge = new GitLabForge(testClient())): Promise<GitLabError> {
  const error = await forge.pullRequest(ref).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GitLabError);
  return error as GitLabError;
}

describe("GitLab errors", () => {
  it.each([500, 502, 503, 504])("calls a %i transient", async (status) => {
    nock(HOST).get(MR).reply(status, { message: "500 Internal Server Error" });

    const error = await readMergeRequest();

    expect(error).toMatchObject({
      kind: "transient",
      status,
      message: `${WHAT}: GitLab answered ${status}: 500 Internal Server Error`,
    });
    expect(error.hint).toContain("tries again");
  });

  it("calls a 429 transient and keeps GitLab's retry-after for the queue", async () => {
    nock(HOST)
      .get(MR)
      .reply(429, "Retry later\n", { "retry-after": "42", "ratelimit-remaining": "0", "content-type": "text/plain" });

    expect(await readMergeRequest()).toMatchObject({
      kind: "transient",
      status: 429,
      retryAfterMs: 42_000,
      message: `${WHAT}: GitLab answered 429: Retry later`,
    });
  });

  it.each([
    [401, { message: "401 Unauthorized" }, "GitLab answered 401: 401 Unauthorized", "GITLAB_TOKEN"],
    [403, { message: "403 Forbidden" }, "GitLab answered 403: 403 Forbidden", "Developer"],
    [
      404,
      notFound,
      "the merge request does not exist or GITLAB_TOKEN cannot read the project (GitLab answered 404)",
      undefined,
    ],
    [
      422,
      { message: { base: ["Something went wrong"] } },
      'GitLab answered 422: {"base":["Something went wrong"]}',
      undefined,
    ],
  ])("calls a %i permanent and says what failed", async (status, body, said, hint) => {
    nock(HOST).get(MR).reply(status, body);

    const error = await readMergeRequest();

    expect(error).toMatchObject({ kind: "permanent", status, message: `${WHAT}: ${said}` });
    if (hint) expect(error.hint).toContain(hint);
  });

  it("calls a network failure transient", async () => {
    nock(HOST)
      .get(MR)
      .replyWithError(Object.assign(new Error("connect ECONNREFUSED 10.0.0.7:443"), { code: "ECONNREFUSED" }));

    const error = await readMergeRequest();

    expect(error).toMatchObject({
      kind: "transient",
      status: undefined,
      message: `${WHAT}: cannot reach GitLab (ECONNREFUSED)`,
    });
  });

  it("ends as one transient error with GitLab's status when a 503 outlasts the client's own tries", async () => {
    nock(HOST).get(MR).times(3).reply(503, { message: "503 Service Unavailable" });

    expect(await readMergeRequest(new GitLabForge(testClient({ retries: 2 })))).toMatchObject({
      kind: "transient",
      status: 503,
    });
  });

  it("never lets the token into a message, a hint, a log line or an inspected cause", async () => {
    nock(HOST).get(MR).matchHeader("private-token", TOKEN).reply(401, { message: "401 Unauthorized" });
    const lines: string[] = [];
    const log = createLogger({
      destination: new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }),
    });

    const error = await readMergeRequest();
    log.error({ err: error }, error.message);

    expect(error.message).not.toContain(TOKEN);
    expect(error.hint ?? "").not.toContain(TOKEN);
    expect(lines.join("")).toContain("401 Unauthorized");
    expect(lines.join("")).not.toContain(TOKEN);
    // Whoever logs or inspects the cause (gitbeaker's error, with the request it made) sees no token either.
    expect(inspect(error, { depth: 10 })).toContain("/api/v4/projects/15/merge_requests/42");
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);
    expect(JSON.stringify(error.cause)).not.toContain(TOKEN);
  });

  it("calls a ref it cannot handle a bug in the caller, before asking GitLab", async () => {
    const forge = new GitLabForge(testClient());

    await expect(
      forge.createComment({ ...ref, forge: "github", repo: "acme/shop", target: "4242" }, "x"),
    ).rejects.toMatchObject({
      kind: "internal",
      message: 'the GitLab adapter was handed github repository "acme/shop" (target "4242")',
    });
  });
});

describe("redact", () => {
  it("removes GitLab tokens, PRIVATE-TOKEN values and token query parameters", () => {
    expect(redact(`token ${TOKEN} failed`)).toBe("token [redacted] failed");
    expect(redact("PRIVATE-TOKEN: abcdefgh12345678")).toBe("PRIVATE-TOKEN: [redacted]");
    expect(redact("GET https://gitlab.example.com/api/v4/projects?private_token=abc123&x=1")).toBe(
      "GET https://gitlab.example.com/api/v4/projects?private_token=[redacted]&x=1",
    );
    expect(redact("authorization: Bearer 8e1f0c5a9b7d4e3f2a1b")).toBe("authorization: Bearer [redacted]");
    expect(redact("reading acme/platform/shop!42")).toBe("reading acme/platform/shop!42");
  });
});
