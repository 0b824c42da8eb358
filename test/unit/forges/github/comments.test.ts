import nock from "nock";
import { describe, expect, it } from "vitest";
import { PrboxError } from "../../../../src/errors.js";
import { STICKY_MARKER, upsertStickyComment } from "../../../../src/core/sticky-comment.js";
import { GitHubForge } from "../../../../src/forges/github/forge.js";
import { silentLogger } from "../../../../src/log.js";
import { useStrictNock } from "../../../support/nock.js";
import { API, human, issueComment, ref, testBot, testOctokit, user } from "./fixtures.js";

useStrictNock();

const COMMENTS = "/repos/acme/shop/issues/42/comments";
const ready = "### Preview ready\n\nhttps://pr-42.preview.acme.dev";
const marked = (body: string) => `${STICKY_MARKER}\n${body}`;

function listComments(...comments: Record<string, unknown>[]) {
  return nock(API).get(COMMENTS).query({ per_page: "100" }).reply(200, comments);
}

describe("the sticky comment on GitHub (src/core/sticky-comment.ts over GitHubForge)", () => {
  it("posts one comment, with the hidden marker, when the PR has none", async () => {
    listComments(issueComment(1001, "LGTM", human()));
    const create = nock(API)
      .post(COMMENTS, { body: marked(ready) })
      .reply(201, issueComment(2001, marked(ready)));

    await upsertStickyComment(new GitHubForge(testOctokit(), testBot), ref, ready, silentLogger);

    expect(create.isDone()).toBe(true);
  });

  it("edits its comment in place when the text changed, looking through every page", async () => {
    nock(API)
      .get(COMMENTS)
      .query({ per_page: "100" })
      .reply(200, [issueComment(1001, "first!", human())], {
        link: `<${API}/repositories/186853002/issues/42/comments?per_page=100&page=2>; rel="next", <${API}/repositories/186853002/issues/42/comments?per_page=100&page=2>; rel="last"`,
      })
      .get("/repositories/186853002/issues/42/comments")
      .query({ per_page: "100", page: "2" })
      .reply(200, [issueComment(2001, marked("### Deploying 0123456")), issueComment(1002, "nice", human("hubot"))]);
    const edit = nock(API)
      .patch("/repos/acme/shop/issues/comments/2001", { body: marked(ready) })
      .reply(200, issueComment(2001, marked(ready)));

    await upsertStickyComment(new GitHubForge(testOctokit(), testBot), ref, ready, silentLogger);

    expect(edit.isDone()).toBe(true);
  });

  it("leaves its comment alone when the text is unchanged", async () => {
    // GitHub may store line ends as CRLF; the text is still the same.
    listComments(issueComment(2001, `${marked(ready).replace(/\n/g, "\r\n")}\r\n`));

    await upsertStickyComment(new GitHubForge(testOctokit(), testBot), ref, ready, silentLogger);
    // The strict nock helper fails this test on any PATCH or POST.
  });

  it("never posts a second comment when a retry follows a create that GitHub answered with a 502", async () => {
    const octokit = testOctokit({ retry: true });
    const forge = new GitHubForge(octokit, testBot);
    listComments();
    // GitHub made the comment but the answer was lost; Octokit's retry plugin must not POST again.
    nock(API).post(COMMENTS).reply(502, { message: "Server Error" });

    const error = await upsertStickyComment(forge, ref, ready, silentLogger).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PrboxError);
    expect((error as PrboxError).kind).toBe("transient");

    listComments(issueComment(2001, marked(ready)));
    await upsertStickyComment(forge, ref, ready, silentLogger);
  });

  it("does not take a person's comment that quotes the marker for its own", async () => {
    listComments(issueComment(1001, marked("I copied the bot's comment"), human()));
    nock(API)
      .post(COMMENTS)
      .reply(201, issueComment(2001, marked(ready)));

    await upsertStickyComment(new GitHubForge(testOctokit(), testBot), ref, ready, silentLogger);
  });

  it("does not take another bot's comment carrying the marker for its own", async () => {
    listComments(issueComment(1500, marked("another prbox install"), user("prbox-staging[bot]", "Bot", 99)));
    nock(API)
      .post(COMMENTS)
      .reply(201, issueComment(2001, marked(ready)));

    await upsertStickyComment(new GitHubForge(testOctokit(), testBot), ref, ready, silentLogger);
  });

  it("says which PR it could not comment on", async () => {
    listComments();
    nock(API).post(COMMENTS).reply(403, {
      message: "Resource not accessible by integration",
      documentation_url: "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
      status: "403",
    });

    const error = (await upsertStickyComment(new GitHubForge(testOctokit(), testBot), ref, ready, silentLogger).catch(
      (e: unknown) => e,
    )) as PrboxError;

    expect(error.kind).toBe("permanent");
    expect(error.message).toBe(
      "posting a comment on acme/shop#42: GitHub answered 403: Resource not accessible by integration",
    );
    expect(error.hint).toContain("permission");
  });
});
