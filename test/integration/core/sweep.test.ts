import nock from "nock";
import { describe, expect, it, onTestFinished } from "vitest";
import { FORGET_AFTER_MS, sweep } from "../../../src/core/sweep.js";
import { forgeRegistry } from "../../../src/core/forge.js";
import { GitHubForge } from "../../../src/forges/github/forge.js";
import { silentLogger } from "../../../src/log.js";
import { connectRedis, createReconcileQueue, RedisStateStore } from "../../../src/queue/index.js";
import { pullRequestBody, testBot, testOctokit } from "../../unit/forges/github/fixtures.js";
import { useStrictNock } from "../../support/nock.js";
import { desiredState, testRedisUrl, uniquePrefix } from "../queue/support.js";

useStrictNock();

const NOW = new Date("2026-11-22T12:00:00Z");
const HOUR = 3_600_000;

async function harness(idleTtlMs: number, expiryWarningMs = 0, sleepAfterMs = 0) {
  const prefix = uniquePrefix();
  const redis = await connectRedis(testRedisUrl(), { role: "client" });
  const store = new RedisStateStore(redis, { prefix });
  const queue = createReconcileQueue({ connection: redis, prefix });
  onTestFinished(async () => {
    await queue.bull.obliterate({ force: true });
    await queue.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });
  const forge = new GitHubForge(testOctokit(), testBot);
  const deps = {
    store,
    queue,
    forges: forgeRegistry({ github: async () => forge }),
    policy: { idleTtlMs, expiryWarningMs, sleepAfterMs },
    log: silentLogger,
    now: () => NOW,
  };
  const put = (envId: string, pr: number, overrides: Parameters<typeof desiredState>[1] = {}) =>
    store.updateDesired(envId, () =>
      desiredState(envId, {
        ref: { forge: "github", repo: "acme/shop", pr, target: "1" },
        eventAt: NOW.toISOString(),
        ...overrides,
      }),
    );
  return { store, queue, deps, put };
}

const pulls = (pr: number) => nock("https://api.github.com").get(`/repos/acme/shop/pulls/${pr}`);

describe("the periodic sweep", () => {
  it("asks a ready preview idle for PRBOX_SLEEP_AFTER to sleep, once, and still deletes it at the idle TTL", async () => {
    const { store, queue, deps, put } = await harness(72 * HOUR, 0, 8 * HOUR);
    const at = (hours: number) => ({ ...deps, now: () => new Date(NOW.getTime() + hours * HOUR) });
    const sha = "0123456789abcdef0123456789abcdef01234567";
    await put("env-sleepy", 21, { sha });
    await put("env-never-ready", 22, { sha });
    await store.setObserved({
      envId: "env-sleepy",
      sha,
      reloadRequest: 0,
      generation: 1,
      status: "ready",
      error: null,
      at: NOW.toISOString(),
    });
    const open = () => {
      pulls(21).reply(200, pullRequestBody({ state: "open" }));
      pulls(22).reply(200, pullRequestBody({ state: "open" }));
    };
    const queued = async () => {
      const counts = await queue.queueCounts();
      return counts.waiting + counts.delayed;
    };

    open();
    expect((await sweep(at(8 - 1 / 3600))).slept).toEqual([]);
    open();
    expect((await sweep(at(8))).slept).toEqual(["env-sleepy"]);
    expect(await store.getDesired("env-sleepy")).toMatchObject({
      action: "deploy",
      sleepSince: new Date(NOW.getTime() + 8 * HOUR).toISOString(),
    });
    // Only a preview ready at its commit sleeps: one never deployed has nothing to scale down.
    expect((await store.getDesired("env-never-ready"))?.sleepSince ?? null).toBeNull();
    expect(await queued()).toBe(1);

    await store.setObserved({ ...(await store.getObserved("env-sleepy"))!, status: "sleeping" });
    open();
    expect((await sweep(at(9))).slept).toEqual([]);
    open();
    expect((await sweep(at(72))).idle.sort()).toEqual(["env-never-ready", "env-sleepy"]);
    expect(await store.getDesired("env-sleepy")).toMatchObject({ action: "destroy", expired: true });
  });

  it("deletes the environment of a PR the forge says is closed (a missed webhook)", async () => {
    const { store, queue, deps, put } = await harness(0);
    await put("env-closed", 1);
    pulls(1).reply(200, pullRequestBody({ state: "closed" }));
    const result = await sweep(deps);
    expect(result.closed).toEqual(["env-closed"]);
    expect(await store.getDesired("env-closed")).toMatchObject({ action: "destroy", closed: true });
    expect((await queue.queueCounts()).delayed + (await queue.queueCounts()).waiting).toBe(1);
  });

  it("never deletes because the forge's API failed", async () => {
    const { store, queue, deps, put } = await harness(HOUR);
    await put("env-unknown", 2, { eventAt: new Date(NOW.getTime() - 48 * HOUR).toISOString() });
    pulls(2).reply(502, { message: "Server Error" });
    const result = await sweep(deps);
    expect(result.unknown).toEqual(["env-unknown"]);
    expect(await store.getDesired("env-unknown")).toMatchObject({ action: "deploy" });
    expect((await queue.queueCounts()).delayed).toBe(0);
  });

  it("keeps a group's preview while any of its PRs is active, and never expires a member by itself (ADR 29)", async () => {
    const { store, deps, put } = await harness(24 * HOUR);
    const old = new Date(NOW.getTime() - 48 * HOUR).toISOString();
    const member = { envId: "env-member", ref: { forge: "github" as const, repo: "acme/shop", pr: 6, target: "1" } };
    await put("env-host", 5, { eventAt: old });
    await put("env-member", 6, { eventAt: new Date(NOW.getTime() - HOUR).toISOString() });
    await put("env-lone-member", 7, { eventAt: old });
    const observed = { sha: "a".repeat(40), reloadRequest: 0, generation: 0, error: null, at: old };
    await store.setObserved({
      ...observed,
      envId: "env-host",
      status: "ready",
      members: [{ ...member, branch: "feature", sha: "b".repeat(40), joined: true }],
    });
    await store.setObserved({ ...observed, envId: "env-member", sha: null, status: "grouped", host: "env-host" });
    await store.setObserved({ ...observed, envId: "env-lone-member", sha: null, status: "grouped", host: "env-gone" });
    for (const pr of [5, 6, 7]) pulls(pr).reply(200, pullRequestBody({ state: "open" }));

    const result = await sweep(deps);

    expect(result.idle).toEqual([]);
    expect(await store.getDesired("env-host")).toMatchObject({ action: "deploy" });
    expect(await store.getDesired("env-lone-member")).toMatchObject({ action: "deploy" });
    // The member idle too: the group's preview goes.
    await put("env-member", 6, { eventAt: old });
    for (const pr of [5, 6, 7]) pulls(pr).reply(200, pullRequestBody({ state: "open" }));
    expect((await sweep(deps)).idle).toEqual(["env-host"]);
  });

  it("deletes an environment idle longer than the TTL, and keeps a recent one", async () => {
    const { store, deps, put } = await harness(24 * HOUR);
    await put("env-idle", 3, { eventAt: new Date(NOW.getTime() - 25 * HOUR).toISOString() });
    await put("env-busy", 4, { eventAt: new Date(NOW.getTime() - HOUR).toISOString() });
    pulls(3).reply(200, pullRequestBody({ state: "open" }));
    pulls(4).reply(200, pullRequestBody({ state: "open" }));
    const result = await sweep(deps);
    expect(result.idle).toEqual(["env-idle"]);
    expect(await store.getDesired("env-idle")).toMatchObject({
      action: "destroy",
      closed: false,
      waitReason: "no activity for 24h",
    });
    expect(await store.getDesired("env-busy")).toMatchObject({ action: "deploy" });
  });

  it("warns the PR once, a day before the idle TTL deletes its preview, then deletes it at the TTL", async () => {
    const { store, deps, put } = await harness(72 * HOUR, 24 * HOUR);
    const at = (hours: number) => ({ ...deps, now: () => new Date(NOW.getTime() + hours * HOUR) });
    await put("env-quiet", 6, { eventAt: new Date(NOW.getTime() - 47 * HOUR).toISOString() });
    await store.setObserved({
      envId: "env-quiet",
      sha: "0123456789abcdef0123456789abcdef01234567",
      reloadRequest: 0,
      generation: 1,
      status: "ready",
      error: null,
      at: NOW.toISOString(),
    });
    // A draft held without a preview is as old, but has nothing to warn about (no comment expected for it).
    await put("env-held", 9, {
      eventAt: new Date(NOW.getTime() - 47 * HOUR).toISOString(),
      action: "wait",
      waitReason: "drafts are deployed once ready for review",
    });
    const open = () => {
      pulls(6).reply(200, pullRequestBody({ state: "open" }));
      pulls(9).reply(200, pullRequestBody({ state: "open" }));
    };
    const posted: string[] = [];
    nock("https://api.github.com")
      .post("/repos/acme/shop/issues/6/comments", (body: { body?: unknown }) => {
        // nock may ask more than once per request: each text is recorded once.
        if (typeof body.body === "string" && !posted.includes(body.body)) posted.push(body.body);
        return true;
      })
      .reply(201, { id: 601, body: "" });

    open();
    expect((await sweep(deps)).warned).toEqual([]);
    open();
    expect((await sweep(at(1))).warned).toEqual(["env-quiet"]);
    expect(posted).toEqual([
      [
        "⏰ This preview will be deleted on Mon, 23 Nov 2026 13:00 UTC (in 24 hours): nothing happened on this pull request for 72 hours by then.",
        "",
        "A push restarts the countdown; a writer can comment `/keep` to keep it while this pull request is open, or `/extend 3d` to keep it at least three more days.",
      ].join("\n"),
    ]);
    // The next sweeps do not warn again (no second comment is expected by nock), and the TTL deletes it.
    open();
    expect((await sweep(at(12))).warned).toEqual([]);
    open();
    const result = await sweep(at(25));
    expect(result.idle.sort()).toEqual(["env-held", "env-quiet"]);
    expect(await store.getDesired("env-quiet")).toMatchObject({ action: "destroy", closed: false, expired: true });
  });

  it("never deletes a kept preview, and deletes an extended one only after its extension", async () => {
    const { store, deps, put } = await harness(24 * HOUR);
    const old = new Date(NOW.getTime() - 100 * HOUR).toISOString();
    await put("env-kept", 7, { eventAt: old, keep: true });
    await put("env-extended", 8, { eventAt: old, keepUntil: new Date(NOW.getTime() + HOUR).toISOString() });
    pulls(7).reply(200, pullRequestBody({ state: "open" }));
    pulls(8).reply(200, pullRequestBody({ state: "open" }));
    expect((await sweep(deps)).idle).toEqual([]);
    pulls(7).reply(200, pullRequestBody({ state: "open" }));
    pulls(8).reply(200, pullRequestBody({ state: "open" }));
    const later = await sweep({ ...deps, now: () => new Date(NOW.getTime() + 2 * HOUR) });
    expect(later.idle).toEqual(["env-extended"]);
    expect(await store.getDesired("env-kept")).toMatchObject({ action: "deploy" });
  });

  it("forgets the records of environments deleted long ago, and keeps recent ones against late deliveries", async () => {
    const { store, deps, put } = await harness(0);
    for (const [envId, age] of [
      ["env-old", FORGET_AFTER_MS + HOUR],
      ["env-recent", HOUR],
    ] as const) {
      await put(envId, 5, { action: "destroy", closed: true });
      await store.setObserved({
        envId,
        sha: null,
        reloadRequest: 0,
        generation: 1,
        status: "destroyed",
        error: null,
        at: new Date(NOW.getTime() - age).toISOString(),
      });
    }
    const result = await sweep(deps);
    expect(result.forgotten).toEqual(["env-old"]);
    expect(await store.getDesired("env-old")).toBeNull();
    expect(await store.getDesired("env-recent")).not.toBeNull();
  });
});
