import nock from "nock";
import { describe, expect, it } from "vitest";
import { PrboxError } from "../../../../src/errors.js";
import { GitLabForge } from "../../../../src/forges/gitlab/forge.js";
import { STICKY_MARKER, upsertStickyComment } from "../../../../src/core/sticky-comment.js";
import { silentLogger } from "../../../../src/log.js";
import { useStrictNock } from "../../../support/nock.js";
import { HOST, MR, SAM, currentUser, note, pageHeaders, ref, testClient, user } from "./fixtures.js";

useStrictNock();

const NOTES = `${MR}/notes`;
const ready = "### Preview ready\n\nhttps://pr-42.preview.acme.dev";
const marked = (body: string) => `${STICKY_MARKER}\n${body}`;
const listQuery = (page: number) => ({ sort: "asc", order_by: "created_at", per_page: "100", page: String(page) });

function whoAmI() {
  return nock(HOST).get("/api/v4/user").reply(200, currentUser());
}

function listNotes(page: number, notes: Record<string, unknown>[], totalPages = 1) {
  return nock(HOST).get(NOTES).query(listQuery(page)).reply(200, notes, pageHeaders(page, totalPages));
}

describe("the sticky note on GitLab (src/core/sticky-comment.ts over GitLabForge)", () => {
  it("posts one note, with the hidden marker, when the merge request has none", async () => {
    listNotes(1, [note(1001, "LGTM", SAM)]);
    const create = nock(HOST)
      .post(NOTES, { body: marked(ready) })
      .reply(201, note(2001, marked(ready)));

    await upsertStickyComment(new GitLabForge(testClient()), ref, ready, silentLogger);

    expect(create.isDone()).toBe(true);
  });

  it("edits its note in place when the text changed, looking through every page", async () => {
    whoAmI();
    listNotes(1, [note(1001, "first!", SAM), note(1002, "added 1 commit", SAM, { system: true })], 2);
    listNotes(2, [note(2001, marked("### Deploying 0123456")), note(1003, "nice", user(53, "kim"))], 2);
    const edit = nock(HOST)
      .put(`${NOTES}/2001`, { body: marked(ready) })
      .reply(200, note(2001, marked(ready)));

    await upsertStickyComment(new GitLabForge(testClient()), ref, ready, silentLogger);

    expect(edit.isDone()).toBe(true);
  });

  it("leaves its note alone when the text is unchanged", async () => {
    whoAmI();
    // GitLab may store line ends as CRLF; the text is still the same.
    listNotes(1, [note(2001, `${marked(ready).replace(/\n/g, "\r\n")}\r\n`)]);

    await upsertStickyComment(new GitLabForge(testClient()), ref, ready, silentLogger);
    // The strict nock helper fails this test on any PUT or POST.
  });

  it("creates once, then edits the same note on every later state, asking who it is only once", async () => {
    const forge = new GitLabForge(testClient());
    listNotes(1, []);
    nock(HOST)
      .post(NOTES)
      .reply(201, note(2001, marked("### Queued")));
    await upsertStickyComment(forge, ref, "### Queued", silentLogger);

    whoAmI();
    listNotes(1, [note(2001, marked("### Queued"))]);
    const edit = nock(HOST)
      .put(`${NOTES}/2001`, { body: marked(ready) })
      .reply(200, note(2001, marked(ready)));
    await upsertStickyComment(forge, ref, ready, silentLogger);

    expect(edit.isDone()).toBe(true);
  });

  it("never posts a second note when a retry follows a create that GitLab answered with a 502", async () => {
    const forge = new GitLabForge(testClient({ retries: 2 }));
    listNotes(1, []);
    // GitLab made the note but the answer was lost: the client must not POST again.
    nock(HOST)
      .post(NOTES)
      .reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", { "content-type": "text/html" });

    const error = await upsertStickyComment(forge, ref, ready, silentLogger).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PrboxError);
    expect((error as PrboxError).kind).toBe("transient");

    whoAmI();
    listNotes(1, [note(2001, marked(ready))]);
    await upsertStickyComment(forge, ref, ready, silentLogger);
  });

  it("does not take someone else's note that quotes the marker for its own", async () => {
    whoAmI();
    listNotes(1, [
      note(1001, marked("I copied the bot's note"), SAM),
      note(1500, marked("another prbox"), user(9100, "project_15_bot_other", { bot: true })),
    ]);
    nock(HOST)
      .post(NOTES)
      .reply(201, note(2001, marked(ready)));

    await upsertStickyComment(new GitLabForge(testClient()), ref, ready, silentLogger);
  });

  it("says which merge request it could not comment on", async () => {
    listNotes(1, []);
    nock(HOST).post(NOTES).reply(403, { message: "403 Forbidden" });

    const error = (await upsertStickyComment(new GitLabForge(testClient()), ref, ready, silentLogger).catch(
      (e: unknown) => e,
    )) as PrboxError;

    expect(error.kind).toBe("permanent");
    expect(error.message).toBe("posting a note on acme/platform/shop!42: GitLab answered 403: 403 Forbidden");
    expect(error.hint).toContain("Developer");
  });
});

describe("GitLabForge.createComment", () => {
  it("posts a plain note, without the marker, and says its id", async () => {
    const post = nock(HOST)
      .post(NOTES, { body: "only Developers may run /reload" })
      .reply(201, note(3001, "only Developers may run /reload"));

    expect(await new GitLabForge(testClient()).createComment(ref, "only Developers may run /reload")).toBe("3001");

    expect(post.isDone()).toBe(true);
  });
});
