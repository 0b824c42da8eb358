import { randomUUID } from "node:crypto";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { connectRedis, createReconcileQueue, RedisStateStore } from "../../../../src/queue/index.js";
import { prEnvironmentId } from "../../../../src/spec/naming.js";
import { harness, idle, uniquePrefix, type Harness } from "../../queue/support.js";
import { startRedisServer } from "../../../setup/redis.js";
import { useStrictNock } from "../../../support/nock.js";
import {
  BOT,
  HOST,
  MR,
  OTHER_SHA,
  PROJECT,
  SAM,
  SHA,
  currentUser,
  hook,
  member,
  mergeRequestBody,
  note,
  awardEmoji,
} from "../../../unit/forges/gitlab/fixtures.js";
import { SECRET, deliver, webhookServer } from "../../../unit/forges/gitlab/webhook-support.js";

useStrictNock();

const ENV = prEnvironmentId("gitlab", "acme/platform/shop", 42);
const MR_HOOK = "Merge Request Hook";
const NOTE_HOOK = "Note Hook";

/** The environments a reconcile job waits for, straight from BullMQ in Redis. */
async function queued(h: Harness): Promise<string[]> {
  const jobs = await h.queue.bull.getJobs(["waiting", "delayed", "prioritized"]);
  return jobs.map((job) => job.data.envId);
}

/** Nothing in Redis: no desired state, no job. */
async function nothingStored(h: Harness): Promise<void> {
  expect(await h.store.listDesired()).toEqual([]);
  expect(await idle(h.queue)).toBe(true);
}

describe("the GitLab webhook, Merge Request Hook", () => {
  it("stores the desired state of an opened merge request and queues a reconcile", async () => {
    const h = await harness();
    const { url, seen } = await webhookServer(h.store, h.queue);

    const answer = await deliver(url, { event: MR_HOOK, body: hook("merge_request.open") });

    expect(answer).toEqual({ status: 200, text: "opened: queued" });
    expect(await h.store.getDesired(ENV)).toMatchObject({
      envId: ENV,
      ref: { forge: "gitlab", repo: "acme/platform/shop", pr: 42, target: "15" },
      branch: "feature/login",
      sha: SHA,
      action: "deploy",
      fork: false,
      closed: false,
      labels: ["preview"],
      eventAt: "2026-11-02T10:00:00.000Z",
    });
    expect(await queued(h)).toEqual([ENV]);
    expect(seen).toEqual([["merge_request", "queued"]]);
  });

  it("stores the new SHA of a push (an update with oldrev) and queues a reconcile", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue);
    await deliver(url, { event: MR_HOOK, body: hook("merge_request.open") });

    const answer = await deliver(url, { event: MR_HOOK, body: hook("merge_request.update-push") });

    expect(answer).toEqual({ status: 200, text: "synchronize: queued" });
    // "2026-11-02 10:05:00 UTC" orders after "2026-11-02T10:00:00Z" once both are ISO.
    expect(await h.store.getDesired(ENV)).toMatchObject({
      sha: OTHER_SHA,
      action: "deploy",
      eventAt: "2026-11-02T10:05:00.000Z",
      generation: 2,
    });
    expect(await queued(h)).toEqual([ENV]);
  });

  it("does nothing for an update without oldrev (a title edit): no redeploy", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue);

    expect(await deliver(url, { event: MR_HOOK, body: hook("merge_request.update-title") })).toEqual({
      status: 200,
      text: "ignored: merge request edited without new commits",
    });
    await nothingStored(h);

    await deliver(url, { event: MR_HOOK, body: hook("merge_request.open") });
    const before = await h.store.getDesired(ENV);
    await h.queue.bull.obliterate({ force: true });
    expect((await deliver(url, { event: MR_HOOK, body: hook("merge_request.update-title") })).status).toBe(200);
    expect(await h.store.getDesired(ENV)).toEqual(before);
    expect(await idle(h.queue)).toBe(true);
  });

  it.each([
    ["merge_request.close", "closed: queued"],
    ["merge_request.merge", "closed: queued"],
  ])("marks the environment for destruction on %s", async (fixture, text) => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue);
    await deliver(url, { event: MR_HOOK, body: hook("merge_request.open") });

    expect(await deliver(url, { event: MR_HOOK, body: hook(fixture) })).toEqual({ status: 200, text });

    expect(await h.store.getDesired(ENV)).toMatchObject({
      action: "destroy",
      closed: true,
      eventAt: "2026-11-02T11:00:00.000Z",
    });
    expect(await queued(h)).toEqual([ENV]);
  });

  it("turns a label added by an edit into a deploy when deploys wait for that label", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue, { policy: { requiredLabel: "preview" } });
    const opened = hook("merge_request.open");
    opened.object_attributes.labels = [];
    await deliver(url, { event: MR_HOOK, body: opened });
    expect(await h.store.getDesired(ENV)).toMatchObject({ action: "wait" });

    const labelled = hook("merge_request.update-title");
    labelled.changes = {
      labels: {
        previous: [],
        current: [
          { id: 206, title: "preview", color: "#6699cc", project_id: 15, type: "ProjectLabel", group_id: null },
        ],
      },
    };

    expect(await deliver(url, { event: MR_HOOK, body: labelled })).toEqual({ status: 200, text: "labeled: queued" });
    expect(await h.store.getDesired(ENV)).toMatchObject({ action: "deploy", labels: ["preview"] });
  });
});

describe("the GitLab webhook, verification and de-duplication", () => {
  it.each([
    ["a wrong token", "not-the-secret"],
    ["a token that is a prefix of the secret", "s3cr3t"],
    ["no token", null],
  ])("answers 401 to %s and stores nothing", async (_case, token) => {
    const h = await harness();
    const { url, seen } = await webhookServer(h.store, h.queue);

    const answer = await deliver(url, { event: MR_HOOK, body: hook("merge_request.open"), token });

    expect(answer.status).toBe(401);
    await nothingStored(h);
    expect(seen).toEqual([]);
  });

  it("processes a delivery once when GitLab sends the same Idempotency-Key twice", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue);
    const key = randomUUID();

    expect(await deliver(url, { event: MR_HOOK, body: hook("merge_request.open"), key })).toEqual({
      status: 200,
      text: "opened: queued",
    });
    // Even a different body under the same key is the same delivery.
    expect(await deliver(url, { event: MR_HOOK, body: hook("merge_request.update-push"), key })).toEqual({
      status: 200,
      text: "synchronize: duplicate",
    });

    expect(await h.store.getDesired(ENV)).toMatchObject({ sha: SHA, generation: 1 });
  });

  it("falls back to X-Gitlab-Event-UUID, and to the body, on GitLab versions without Idempotency-Key", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue);
    const eventUuid = randomUUID();

    await deliver(url, { event: MR_HOOK, body: hook("merge_request.open"), key: null, eventUuid });
    expect(
      (await deliver(url, { event: MR_HOOK, body: hook("merge_request.update-push"), key: null, eventUuid })).text,
    ).toBe("synchronize: duplicate");

    const push = hook("merge_request.update-push");
    expect((await deliver(url, { event: MR_HOOK, body: push, key: null, eventUuid: null })).text).toBe(
      "synchronize: queued",
    );
    expect((await deliver(url, { event: MR_HOOK, body: push, key: null, eventUuid: null })).text).toBe(
      "synchronize: duplicate",
    );
  });

  it("answers 400 to a body that is not JSON, and to a merge request payload without what prbox needs", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue);

    expect(await deliver(url, { event: MR_HOOK, body: '{"object_kind": "merge_request", ' })).toEqual({
      status: 400,
      text: "the body is not JSON",
    });
    const broken = hook("merge_request.open");
    delete broken.object_attributes.source_branch;
    expect(await deliver(url, { event: MR_HOOK, body: broken })).toEqual({
      status: 400,
      text: "not a merge request payload: object_attributes.source_branch: Invalid input: expected string, received undefined",
    });
    await nothingStored(h);
  });

  it("answers 200 to an event it does not act on, and stores nothing", async () => {
    const h = await harness();
    const { url, seen } = await webhookServer(h.store, h.queue);

    expect(await deliver(url, { event: "Push Hook", body: hook("push") })).toEqual({
      status: 200,
      text: "ignored: prbox does not act on Push Hook",
    });
    expect((await deliver(url, { event: "Pipeline Hook", body: [] })).status).toBe(200);
    const approved = hook("merge_request.open");
    approved.object_attributes.action = "approved";
    expect((await deliver(url, { event: MR_HOOK, body: approved })).text).toBe(
      'ignored: merge request action "approved" needs no preview change',
    );

    await nothingStored(h);
    expect(seen).toEqual([
      ["other", "ignored"],
      ["pipeline", "ignored"],
      ["merge_request", "ignored"],
    ]);
  });

  it("answers 413 to a body over the limit", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue, { maxBodyBytes: 2048 });

    const answer = await deliver(url, { event: MR_HOOK, body: hook("merge_request.open") });
    expect(answer.status).toBe(413);

    // Chunked, without a Content-Length to refuse it by: counted while read.
    const chunks = [JSON.stringify(hook("merge_request.open"))];
    const streamed = await fetch(url, {
      method: "POST",
      headers: { "x-gitlab-event": MR_HOOK, "x-gitlab-token": SECRET, "content-type": "application/json" },
      body: new ReadableStream({
        pull: (controller) =>
          chunks.length ? controller.enqueue(new TextEncoder().encode(chunks.shift())) : controller.close(),
      }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    await nothingStored(h);
  });

  it("answers 503 when Redis cannot store the event, so GitLab delivers it again", async () => {
    const server = await startRedisServer();
    const redis = await connectRedis(server.url, { role: "client", commandTimeoutMs: 500 });
    const queue = createReconcileQueue({ connection: redis, prefix: uniquePrefix() });
    try {
      const { url, seen } = await webhookServer(new RedisStateStore(redis, { prefix: uniquePrefix() }), queue);
      await server.stop();

      const answer = await deliver(url, { event: MR_HOOK, body: hook("merge_request.open") });

      expect(answer).toEqual({ status: 503, text: "could not store the event; please retry" });
      expect(seen).toEqual([["merge_request", "failed"]]);
    } finally {
      redis.disconnect();
      await queue.close();
      await server.stop().catch(() => {});
    }
  });

  it("leaves other paths to the next handler and refuses other methods", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue);

    expect(
      (await fetch(url.replace("/api/gitlab/webhooks", "/api/github/webhooks"), { method: "POST", body: "{}" })).status,
    ).toBe(404);
    expect((await fetch(url)).status).toBe(405);
  });
});

describe("the GitLab webhook, commands in notes", () => {
  const reloadBy = (author: Record<string, unknown>) => {
    const payload = hook("note.merge_request-reload");
    payload.user = { ...author, email: "[REDACTED]" };
    return payload;
  };

  function whoAmI() {
    nock(HOST).get("/api/v4/user").reply(200, currentUser());
  }

  function role(level: number) {
    nock(HOST).get("/api/v4/users").query({ username: "sam" }).reply(200, [SAM]);
    nock(HOST)
      .get(`${PROJECT}/members/all/52`)
      .reply(200, member(52, "sam", level));
  }

  it("refuses /reload by a Guest with a reply note and 👎, and queues nothing", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue);
    whoAmI();
    role(10);
    const thumbsDown = nock(HOST)
      .post(`${MR}/notes/1244/award_emoji`, { name: "thumbsdown" })
      .reply(201, awardEmoji(7001, "thumbsdown"));
    const reply = nock(HOST)
      .post(`${MR}/notes`, (body: { body: string }) =>
        body.body.startsWith("@sam thanks! Only members with the Developer role or higher can run `/reload`"),
      )
      .reply(201, note(3001, "@sam thanks!"));

    const answer = await deliver(url, { event: NOTE_HOOK, body: reloadBy(SAM) });

    expect(answer).toEqual({ status: 200, text: "refused: sam may not run /reload" });
    expect(thumbsDown.isDone() && reply.isDone()).toBe(true);
    await nothingStored(h);
  });

  it("queues /reload by a Developer at the merge request's head, with reloadRequest 1 and a 👍", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue);
    await deliver(url, { event: MR_HOOK, body: hook("merge_request.open") });
    whoAmI();
    role(30);
    nock(HOST)
      .get(MR)
      .reply(200, mergeRequestBody({ sha: OTHER_SHA }));
    const thumbsUp = nock(HOST)
      .post(`${MR}/notes/1244/award_emoji`, { name: "thumbsup" })
      .reply(201, awardEmoji(7002, "thumbsup"));

    const answer = await deliver(url, { event: NOTE_HOOK, body: reloadBy(SAM) });

    expect(answer).toEqual({ status: 200, text: "/reload: queued" });
    expect(await h.store.getDesired(ENV)).toMatchObject({
      action: "deploy",
      sha: OTHER_SHA,
      reloadRequest: 1,
      handledCommands: ["1244"],
      eventAt: "2026-11-02T10:10:00.000Z",
    });
    expect(await queued(h)).toEqual([ENV]);
    expect(thumbsUp.isDone()).toBe(true);
  });

  it("ignores prbox's own notes, edited notes, system notes and notes on issues, without asking GitLab who may write", async () => {
    const h = await harness();
    const { url } = await webhookServer(h.store, h.queue);
    whoAmI();
    expect((await deliver(url, { event: NOTE_HOOK, body: reloadBy(BOT) })).text).toBe("ignored: a comment by a bot");
    const ownPerson = reloadBy({ ...SAM, username: "prbox-bot", id: 9001 });
    expect((await deliver(url, { event: NOTE_HOOK, body: ownPerson })).text).toBe("ignored: prbox's own comment");

    const edited = reloadBy(SAM);
    edited.object_attributes.action = "update";
    expect((await deliver(url, { event: NOTE_HOOK, body: edited })).text).toBe("ignored: note edited, not new");
    const system = reloadBy(SAM);
    system.object_attributes.system = true;
    expect((await deliver(url, { event: NOTE_HOOK, body: system })).text).toBe("ignored: system note");
    const chat = reloadBy(SAM);
    chat.object_attributes.note = "Looks good, but could we /reload later?";
    expect((await deliver(url, { event: NOTE_HOOK, body: chat })).text).toBe("ignored: no command in the comment");
    const onIssue = reloadBy(SAM);
    onIssue.object_attributes.noteable_type = "Issue";
    expect((await deliver(url, { event: NOTE_HOOK, body: onIssue })).text).toBe("ignored: not a merge request note");

    await nothingStored(h);
  });

  it("answers 200 without queueing when GitLab cannot say whether the user may write", async () => {
    const h = await harness();
    const { url, seen } = await webhookServer(h.store, h.queue);
    whoAmI();
    nock(HOST).get("/api/v4/users").query({ username: "sam" }).reply(503, { message: "503 Service Unavailable" });

    const answer = await deliver(url, { event: NOTE_HOOK, body: reloadBy(SAM) });

    expect(answer.status).toBe(200);
    expect(answer.text).toBe(
      "not processed: checking sam's role on acme/platform/shop: GitLab answered 503: 503 Service Unavailable",
    );
    expect(seen).toEqual([["note", "failed"]]);
    await nothingStored(h);
  });
});
