import nock from "nock";
import { describe, expect, it } from "vitest";
import { PrboxError } from "../../../src/errors.js";
import { GitLabForge } from "../../../src/forges/gitlab/forge.js";
import { STICKY_MARKER, stickyBody } from "../../../src/forges/gitlab/notes.js";
import { useStrictNock } from "../../support/nock.js";
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

describe("GitLabForge.upsertComment", () => {
  it("posts one note, with the hidden marker, when the merge request has none", async () => {
    whoAmI();
    listNotes(1, [note(1001, "LGTM", SAM)]);
    const create = nock(HOST)
      .post(NOTES, { body: marked(ready) })
      .reply(201, note(2001, marked(ready)));

    await new GitLabForge(testClient()).upsertComment(ref, ready);

    expect(create.isDone()).toBe(true);
  });

  it("edits its note in place when the text changed, looking through every page", async () => {
    whoAmI();
    listNotes(1, [note(1001, "first!", SAM), note(1002, "added 1 commit", SAM, { system: true })], 2);
    listNotes(2, [note(2001, marked("### Deploying 0123456")), note(1003, "nice", user(53, "kim"))], 2);
    const edit = nock(HOST)
      .put(`${NOTES}/2001`, { body: marked(ready) })
      .reply(200, note(2001, marked(ready)));

    await new GitLabForge(testClient()).upsertComment(ref, ready);

    expect(edit.isDone()).toBe(true);
  });

  it("leaves its note alone when the text is unchanged", async () => {
    whoAmI();
    // GitLab may store line ends as CRLF; the text is still the same.
    listNotes(1, [note(2001, `${marked(ready).replace(/\n/g, "\r\n")}\r\n`)]);

    await new GitLabForge(testClient()).upsertComment(ref, ready);
    // The strict nock helper fails this test on any PUT or POST.
  });

  it("creates once, then edits the same note on every later state, asking who it is only once", async () => {
    const forge = new GitLabForge(testClient());
    whoAmI();
    listNotes(1, []);
    nock(HOST).post(NOTES).reply(201, note(2001, marked("### Queued")));
    await forge.upsertComment(ref, "### Queued");

    listNotes(1, [note(2001, marked("### Queued"))]);
    const edit = nock(HOST).put(`${NOTES}/2001`, { body: marked(ready) }).reply(200, note(2001, marked(ready)));
    await forge.upsertComment(ref, ready);

    expect(edit.isDone()).toBe(true);
  });

  it("never posts a second note when a retry follows a create that GitLab answered with a 502", async () => {
    const forge = new GitLabForge(testClient({ retries: 2 }));
    whoAmI();
    listNotes(1, []);
    // GitLab made the note but the answer was lost: the client must not POST again.
    nock(HOST).post(NOTES).reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", { "content-type": "text/html" });

    const error = await forge.upsertComment(ref, ready).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PrboxError);
    expect((error as PrboxError).kind).toBe("transient");

    listNotes(1, [note(2001, marked(ready))]);
    await forge.upsertComment(ref, ready);
  });

  it("does not take someone else's note that quotes the marker for its own", async () => {
    whoAmI();
    listNotes(1, [note(1001, marked("I copied the bot's note"), SAM), note(1500, marked("another prbox"), user(9100, "project_15_bot_other", { bot: true }))]);
    nock(HOST).post(NOTES).reply(201, note(2001, marked(ready)));

    await new GitLabForge(testClient()).upsertComment(ref, ready);
  });

  it("says which merge request it could not comment on", async () => {
    whoAmI();
    listNotes(1, []);
    nock(HOST).post(NOTES).reply(403, { message: "403 Forbidden" });

    const error = (await new GitLabForge(testClient()).upsertComment(ref, ready).catch((e: unknown) => e)) as PrboxError;

    expect(error.kind).toBe("permanent");
    expect(error.message).toBe("posting the prbox note on acme/platform/shop!42: GitLab answered 403: 403 Forbidden");
    expect(error.hint).toContain("Developer");
  });
});

describe("GitLabForge.reply", () => {
  it("posts a plain note, without the marker", async () => {
    const post = nock(HOST).post(NOTES, { body: "only Developers may run /reload" }).reply(201, note(3001, "only Developers may run /reload"));

    await new GitLabForge(testClient()).reply(ref, "only Developers may run /reload");

    expect(post.isDone()).toBe(true);
  });
});

describe("stickyBody", () => {
  it("puts the marker first, once", () => {
    expect(stickyBody("hello")).toBe(`${STICKY_MARKER}\nhello`);
    expect(stickyBody(`${STICKY_MARKER}\nhello`)).toBe(`${STICKY_MARKER}\nhello`);
  });

  it("cuts a body GitLab would refuse and closes the code block it cut", () => {
    const body = stickyBody(`logs:\n\`\`\`\n${"x".repeat(1_200_000)}\n\`\`\``);

    expect(body.length).toBeLessThan(1_000_000);
    expect(body).toMatch(/\n```\n\n… \(cut: the full text is longer than GitLab allows in a note\)$/);
  });
});
