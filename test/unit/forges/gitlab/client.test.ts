import nock from "nock";
import { describe, expect, it } from "vitest";
import { createGitLabClient, retryAfterMs } from "../../../../src/forges/gitlab/client.js";
import { GitLabForge } from "../../../../src/forges/gitlab/forge.js";
import { useStrictNock } from "../../../support/nock.js";
import { HOST, MR, TOKEN, mergeRequestBody, note, ref, testClient } from "./fixtures.js";

useStrictNock();

describe("the GitLab client", () => {
  it("sends the token as PRIVATE-TOKEN to GITLAB_URL's API, a trailing slash or not", async () => {
    nock(HOST).get(MR).matchHeader("private-token", TOKEN).reply(200, mergeRequestBody());

    await new GitLabForge(createGitLabClient({ url: `${HOST}/`, token: TOKEN })).pullRequest(ref);
  });

  it("tries a GET again after a 502 or 503", async () => {
    nock(HOST)
      .get(MR)
      .reply(502, "Bad Gateway")
      .get(MR)
      .reply(503, { message: "503" }, { "retry-after": "0" })
      .get(MR)
      .reply(200, mergeRequestBody());

    expect((await new GitLabForge(testClient({ retries: 2 })).pullRequest(ref)).state).toBe("open");
  });

  it("tries a POST again after a 429 (GitLab did not act on it), but not after a 5xx", async () => {
    const forge = new GitLabForge(testClient({ retries: 2 }));
    nock(HOST)
      .post(`${MR}/notes`)
      .reply(429, "Retry later", { "retry-after": "0" })
      .post(`${MR}/notes`)
      .reply(201, note(3001, "hello"));
    await forge.createComment(ref, "hello");

    nock(HOST).post(`${MR}/notes`).reply(503, { message: "503" });
    await expect(forge.createComment(ref, "hello")).rejects.toMatchObject({ kind: "transient", status: 503 });
  });

  it("hands a long Retry-After to the queue instead of waiting for it", async () => {
    nock(HOST).get(MR).reply(429, "Retry later", { "retry-after": "3600" });

    const started = Date.now();
    await expect(new GitLabForge(testClient({ retries: 2 })).pullRequest(ref)).rejects.toMatchObject({
      kind: "transient",
      retryAfterMs: 3_600_000,
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("retryAfterMs", () => {
  it("reads seconds or an HTTP date", () => {
    const now = Date.parse("2026-11-02T10:00:00Z");
    expect(retryAfterMs("5", now)).toBe(5_000);
    expect(retryAfterMs("Mon, 02 Nov 2026 10:01:00 GMT", now)).toBe(60_000);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs("soon", now)).toBeUndefined();
  });
});
