// A delivery whose desired state was stored but whose job could not be queued (Redis failed over
// between the two writes) answers 5xx; whatever delivery of that environment comes next must
// queue the reconcile, even one that changes nothing (a late, out-of-order one). Real Redis and
// BullMQ; the queue's failure is made the way delivery.test.ts makes it: BullMQ's job counter
// holds no number, so adding a job fails while the state store's keys still work.
import { randomBytes } from "node:crypto";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { intake } from "../../../src/core/intake.js";
import type { PullRequestEvent } from "../../../src/core/events.js";
import { silentLogger } from "../../../src/log.js";
import { connectRedis, RECONCILE_QUEUE, RedisStateStore } from "../../../src/queue/index.js";
import { prEnvironmentId } from "../../../src/spec/naming.js";
import { harness } from "../../integration/queue/support.js";

function event(action: PullRequestEvent["action"], sha: string, at: string): PullRequestEvent {
  return {
    kind: "pull_request",
    action,
    ref: { forge: "github", repo: "acme/shop", pr: 7, target: "1" },
    head: { branch: "feature", sha, fork: false, labels: [] },
    merged: false,
    at,
  };
}

describe("a delivery stored but not queued", () => {
  it("is queued by the next delivery of its environment, even a stale one that changes nothing", async () => {
    const h = await harness();
    const deps = {
      store: h.store,
      queue: h.queue,
      policy: { requiredLabel: null, deployForks: false },
      log: silentLogger,
    };
    const envId = prEnvironmentId("github", "acme/shop", 7);
    const counter = `${h.prefix}:${RECONCILE_QUEUE}:id`;

    await h.redis.set(counter, "not-a-number");
    const push = event("synchronize", "b".repeat(40), "2026-11-22T10:05:00Z");
    await expect(intake(push, "delivery-push", deps)).rejects.toThrow();
    expect((await h.store.getDesired(envId))?.sha).toBe(push.head.sha);
    expect(await h.queue.bull.getJobs(["waiting", "delayed"])).toEqual([]);

    await h.redis.del(counter);
    const late = event("opened", "a".repeat(40), "2026-11-22T10:00:00Z");
    expect(await intake(late, "delivery-late-open", deps)).toBe("queued");
    expect((await h.queue.bull.getJobs(["waiting", "delayed"])).map((job) => job.data.envId)).toEqual([envId]);
    expect((await h.store.getDesired(envId))?.sha).toBe(push.head.sha);
  });
});

describe("a delivery that failed half-way because Redis went away", () => {
  it("is processed when the forge redelivers it, not taken for a duplicate", async () => {
    const h = await harness();
    const policy = { requiredLabel: null, deployForks: false };
    // Redis "goes away" after the first write: an ACL user that may SET and read but not run the
    // store's scripts (EVAL) or delete, so storing fails and so does undoing anything.
    const user = `half-${randomBytes(4).toString("hex")}`;
    await h.redis.call(
      "ACL",
      "SETUSER",
      user,
      "on",
      ">secret",
      "~*",
      "&*",
      "+@all",
      "-eval",
      "-evalsha",
      "-del",
      "-unlink",
    );
    onTestFinished(async () => void (await h.redis.call("ACL", "DELUSER", user)));
    const url = new URL(inject("redisUrl"));
    url.username = user;
    url.password = "secret";
    const limited = await connectRedis(url.toString(), { role: "client" });
    onTestFinished(() => limited.disconnect());
    const halfWay = {
      store: new RedisStateStore(limited, { prefix: h.prefix }),
      queue: h.queue,
      policy,
      log: silentLogger,
    };
    const opened = event("opened", "c".repeat(40), "2026-11-22T11:00:00Z");

    await expect(intake(opened, "delivery-1", halfWay)).rejects.toThrow(/NOPERM|permission/i);
    expect(await h.store.getDesired(prEnvironmentId("github", "acme/shop", 7))).toBeNull();

    const redelivered = await intake(opened, "delivery-1", {
      store: h.store,
      queue: h.queue,
      policy,
      log: silentLogger,
    });
    expect(redelivered).toBe("queued");
    expect((await h.store.getDesired(prEnvironmentId("github", "acme/shop", 7)))?.sha).toBe(opened.head.sha);
    // ...and only once: a second redelivery is a duplicate.
    expect(await intake(opened, "delivery-1", { store: h.store, queue: h.queue, policy, log: silentLogger })).toBe(
      "duplicate",
    );
  });
});
