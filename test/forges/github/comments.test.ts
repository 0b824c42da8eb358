import nock from "nock";
import { describe, expect, it } from "vitest";
import { PrboxError } from "../../../src/errors.js";
import { STICKY_MARKER, stickyBody } from "../../../src/forges/github/comments.js";
import { GitHubForge } from "../../../src/forges/github/forge.js";
import { useStrictNock } from "../../support/nock.js";
import { API, BOT, human, issueComment, ref, testOctokit, user } from "./fixtures.js";

useStrictNock();

const COMMENTS = "/repos/acme/shop/issues/42/comments";
const ready = "### Preview ready\n\nhttps://pr-42.preview.acme.dev";
const marked = (body: string) => `${STICKY_MARKER}\n${body}`;

function listComments(...comments: Record<string, unknown>[]) {
  return nock(API).get(COMMENTS).query({ per_page: "100" }).reply(200, comments);
}

describe("GitHubForge.upsertComment", () => {
  it("posts one comment, with the hidden marker, when the PR has none", async () => {
    listComments(issueComment(1001, "LGTM", human()));
    const create = nock(API)
      .post(COMMENTS, { body: marked(ready) })
      .reply(201, issueComment(2001, marked(ready)));

    await new GitHubForge(testOctokit(), { botLogin: BOT }).upsertComment(ref, ready);

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

    await new GitHubForge(testOctokit(), { botLogin: BOT }).upsertComment(ref, ready);

    expect(edit.isDone()).toBe(true);
  });

  it("leaves its comment alone when the text is unchanged", async () => {
    // GitHub may store line ends as CRLF; the text is still the same.
    listComments(issueComment(2001, `${marked(ready).replace(/\n/g, "\r\n")}\r\n`));

    await new GitHubForge(testOctokit(), { botLogin: BOT }).upsertComment(ref, ready);
    // The strict nock helper fails this test on any PATCH or POST.
  });

  it("never posts a second comment when a retry follows a create that GitHub answered with a 502", async () => {
    const octokit = testOctokit({ retry: true });
    const forge = new GitHubForge(octokit, { botLogin: BOT });
    listComments();
    // GitHub made the comment but the answer was lost; Octokit's retry plugin must not POST again.
    nock(API).post(COMMENTS).reply(502, { message: "Server Error" });

    const error = await forge.upsertComment(ref, ready).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PrboxError);
    expect((error as PrboxError).kind).toBe("transient");

    listComments(issueComment(2001, marked(ready)));
    await forge.upsertComment(ref, ready);
  });

  it("does not take a person's comment that quotes the marker for its own", async () => {
    listComments(issueComment(1001, marked("I copied the bot's comment"), human()));
    nock(API).post(COMMENTS).reply(201, issueComment(2001, marked(ready)));

    await new GitHubForge(testOctokit(), { botLogin: BOT }).upsertComment(ref, ready);
  });

  it("counts only its own bot's comments when it knows its login", async () => {
    listComments(issueComment(1500, marked("another prbox install"), user("prbox-staging[bot]", "Bot", 99)));
    nock(API).post(COMMENTS).reply(201, issueComment(2001, marked(ready)));

    await new GitHubForge(testOctokit(), { botLogin: BOT }).upsertComment(ref, ready);
  });

  it("says which PR it could not comment on", async () => {
    listComments();
    nock(API).post(COMMENTS).reply(403, {
      message: "Resource not accessible by integration",
      documentation_url: "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
      status: "403",
    });

    const error = (await new GitHubForge(testOctokit()).upsertComment(ref, ready).catch((e: unknown) => e)) as PrboxError;

    expect(error.kind).toBe("permanent");
    expect(error.message).toBe("posting the prbox comment on acme/shop#42: GitHub answered 403: Resource not accessible by integration");
    expect(error.hint).toContain("permission");
  });
});

describe("stickyBody", () => {
  it("puts the marker first, once", () => {
    expect(stickyBody("hello")).toBe(`${STICKY_MARKER}\nhello`);
    expect(stickyBody(`${STICKY_MARKER}\nhello`)).toBe(`${STICKY_MARKER}\nhello`);
  });

  it("cuts a body GitHub would refuse and closes the code block it cut", () => {
    const body = stickyBody(`logs:\n\`\`\`\n${"x".repeat(70_000)}\n\`\`\``);

    expect(body.length).toBeLessThan(65_536);
    expect(body).toMatch(/\n```\n\n… \(cut: the full text is longer than GitHub allows in a comment\)$/);
  });
});
