// Redis killed and restarted during a burst of deliveries. Redis runs with the persistence prbox
// asks for (append-only file, `appendfsync always`, noeviction). Every delivery prbox answered 2xx
// must survive as the environment's desired state and be reconciled; deliveries during the outage
// must get a 5xx at once (GitHub then records a failed delivery and it can be redelivered), not
// hang. The PRs wait for a label, so each reconcile is a report on the PR, not a deploy: the
// burst tests the edge and the queue, not the cluster.
import { afterAll, expect } from "vitest";
import { prEnvironmentId } from "../../../src/spec/naming.js";
import { useGitHubApp } from "../github/support/prbox.js";
import { newSha, previewRepo } from "../github/support/sources.js";
import { until } from "../github/support/wait.js";
import { pullRequestDelivery, type DeliveryAnswer } from "../github/support/webhooks.js";
import { persistentRedis, recordRecovery, type PersistentRedis } from "./support.js";

const PRS = 16;
/** Deliveries in flight at once, as GitHub sends them during a busy minute. */
const PARALLEL = 4;

let redis: (PersistentRedis & { stop(): Promise<void> }) | undefined;
// Registered before useGitHubApp's hooks, so it runs after prbox has stopped.
afterAll(() => redis?.stop());
const it = useGitHubApp(async () => {
  redis = await persistentRedis({ appendfsync: "always" });
  return { redisUrl: redis.url, env: { PRBOX_REQUIRED_LABEL: "preview" } };
});

it(
  "keeps every acknowledged delivery across a Redis crash, and answers 5xx at once while Redis is down",
  { timeout: 300_000 },
  async ({ t }) => {
    const server = redis;
    if (!server) throw new Error("no Redis");
    const files = await previewRepo();
    for (let pr = 1; pr <= PRS; pr++) {
      const sha = newSha();
      await t.repo.push(sha, files);
      t.repo.openPullRequest(pr, { ref: `feature/${pr}`, sha });
    }

    // The burst; a third of the way in, Redis is SIGKILLed, and started again once a delivery failed.
    const answers = new Map<number, DeliveryAnswer>();
    let next = 1;
    let restartedAt = 0;
    const outage = (async () => {
      await until("a third of the burst was answered", () => answers.size >= PRS / 3, { intervalMs: 10 });
      await server.kill("SIGKILL");
      await until("a delivery failed while Redis was down", () => [...answers.values()].some((a) => a.status >= 500), {
        intervalMs: 10,
      });
      await server.start();
      restartedAt = Date.now();
    })();
    const sender = async () => {
      for (let pr = next++; pr <= PRS; pr = next++) {
        // Without the outage each delivery takes milliseconds; pace the burst so the outage falls inside it.
        answers.set(pr, await t.send(pullRequestDelivery(t.repo, pr, "opened")));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await Promise.all([outage, ...Array.from({ length: PARALLEL }, sender)]);

    const statuses = [...answers.values()].map((a) => a.status);
    expect(
      statuses.every((s) => s === 200 || s >= 500),
      `answers: ${statuses.join(" ")}`,
    ).toBe(true);
    const failed = [...answers.entries()].filter(([, a]) => a.status >= 500);
    const acknowledged = [...answers.entries()].filter(([, a]) => a.status === 200).map(([pr]) => pr);
    expect(failed.length).toBeGreaterThan(0);

    // What prbox acknowledged before the crash came back with Redis (the append-only file).
    await until("prbox is connected to Redis again", async () => (await fetch(`${t.prbox.baseUrl}/readyz`)).ok, {
      timeoutMs: 30_000,
    });
    await recordRecovery("Redis SIGKILL + restart → prbox ready", Date.now() - restartedAt);
    for (const pr of acknowledged) {
      const desired = await t.prbox.rt.store.getDesired(prEnvironmentId("github", t.repo.fullName, pr));
      expect(desired?.sha, `PR #${pr}: its delivery was answered 200`).toBe(t.repo.pull(pr).head.sha);
    }

    // GitHub's redelivery of each failed delivery is processed (not taken for a duplicate, though
    // the failed attempt may have got as far as recording its id before Redis died).
    for (const [pr, answer] of failed) {
      const again = await t.send(pullRequestDelivery(t.repo, pr, "opened"), { id: answer.id });
      expect(again.status, `redelivery of PR #${pr}`).toBe(200);
      const desired = await t.prbox.rt.store.getDesired(prEnvironmentId("github", t.repo.fullName, pr));
      expect(desired?.sha, `PR #${pr}: its redelivery was answered 200`).toBe(t.repo.pull(pr).head.sha);
    }

    // Every PR was reconciled (its report says why it waits), each with one comment.
    await t.until(
      "every PR got its report",
      () => [...t.repo.pulls.keys()].every((pr) => t.sticky(pr).includes("not deployed")),
      {
        timeoutMs: 120_000,
        state: () => [...t.repo.pulls.keys()].filter((pr) => !t.sticky(pr).includes("not deployed")),
      },
    );
    for (const pr of t.repo.pulls.keys()) expect(t.stickyComments(pr), `PR #${pr}`).toHaveLength(1);
  },
);
