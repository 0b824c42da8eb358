// The webhook edge's promise to GitHub: a delivery is answered 2xx only once it is stored, so a
// delivery prbox could not take is recorded as failed on GitHub and can be redelivered.
import { afterAll, describe, expect } from "vitest";
import { RECONCILE_QUEUE } from "../../../src/queue/index.js";
import { startRedisOn, startRedisServer, type RedisServer } from "../../setup/redis.js";
import { useGitHubApp } from "./support/prbox.js";
import { newSha, previewRepo } from "./support/sources.js";
import { until } from "./support/wait.js";
import { pullRequestDelivery } from "./support/webhooks.js";

// Not concurrent: the second test breaks enqueueing for its whole prbox on purpose.
describe("deliveries prbox must not acknowledge", () => {
  const it = useGitHubApp();

  it("refuses a delivery with a wrong signature (401) and stores and queues nothing", async ({ t }) => {
    const pr = 31;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/forged", sha });
    const keysBefore = await t.prbox.redisKeys();

    const answer = await t.send(pullRequestDelivery(t.repo, pr, "opened"), { secret: "not-the-webhook-secret" });

    // prbox's webhook guard answers before Probot (ADR 7): a client error, not an outage, and nothing kept.
    expect(answer.status).toBe(401);
    expect(answer.body).toContain("signature does not match");
    expect(await t.prbox.redisKeys()).toEqual(keysBefore);
    expect(await t.prbox.pendingJobs()).toEqual([]);
    expect(t.github.requests).toEqual([]);
  });

  it("answers 5xx when the queue refuses the job, and deploys when GitHub redelivers", async ({ t }) => {
    const pr = 32;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/redelivered", sha });
    // BullMQ numbers jobs with INCR on this key: a value that is no number makes every add fail,
    // while the state store's own keys still work (like a failover between the two writes).
    const jobCounter = `${t.prbox.prefix}:${RECONCILE_QUEUE}:id`;
    await t.prbox.rt.redis.set(jobCounter, "not-a-number");
    const opened = pullRequestDelivery(t.repo, pr, "opened");

    const failed = await t.send(opened);
    expect(failed.status).toBeGreaterThanOrEqual(500);

    await t.prbox.rt.redis.del(jobCounter);
    const redelivered = await t.send(opened, { id: failed.id });
    expect(redelivered.status).toBe(200);
    await t.until("the redelivered PR is deployed", () => t.sticky(pr).includes("✅ ready"), {
      timeoutMs: 30_000,
      state: () => t.sticky(pr),
    });
    await t.settled();
  });
});

describe("deliveries while Redis is down", () => {
  let redis: RedisServer | undefined;
  let restarted: RedisServer | undefined;
  // Registered before useGitHubApp's hooks, so it runs after prbox has stopped.
  afterAll(async () => {
    await restarted?.stop();
    await redis?.stop();
  });
  const it = useGitHubApp(async () => {
    redis = await startRedisServer();
    return { redisUrl: redis.url };
  });

  it("answers 5xx while Redis is down, acknowledges nothing, and processes the redelivery once Redis is back", async ({
    t,
  }) => {
    const pr = 33;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/outage", sha });
    const opened = pullRequestDelivery(t.repo, pr, "opened");
    const port = redis?.port ?? 0;
    await redis?.stop();

    const failed = await t.send(opened);

    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(t.github.requests).toEqual([]);

    restarted = await startRedisOn(port);
    await until("prbox is connected to Redis again", async () => (await fetch(`${t.prbox.baseUrl}/readyz`)).ok, {
      timeoutMs: 20_000,
    });
    const redelivered = await t.send(opened, { id: failed.id });
    expect(redelivered.status).toBe(200);
    await t.until("the redelivered PR is deployed", () => t.sticky(pr).includes("✅ ready"), {
      state: () => t.sticky(pr),
    });
    await t.settled();
    expect(t.stickyComments(pr)).toHaveLength(1);
  });
});
