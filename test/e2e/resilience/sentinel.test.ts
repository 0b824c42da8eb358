// Redis that survives a machine (docs/reliability.md): prbox on a Sentinel URL, the primary
// SIGKILLed during a burst of deliveries. The Sentinels promote the replica; prbox follows it.
// Every delivery prbox answered 2xx must be on the new primary (PRBOX_REDIS_REPLICAS defaults to
// 1 with Sentinel: a delivery is acknowledged once the replica holds it), deliveries during the
// failover get a 5xx at once, and GitHub's redelivery of those is processed. The burst itself is
// in burst.ts.
import { afterAll, expect } from "vitest";
import { useGitHubApp } from "../github/support/prbox.js";
import { until } from "../github/support/wait.js";
import { expectAcknowledgedKept, openPullRequests, redeliverAndExpectReports, sendBurst } from "./burst.js";
import { recordRecovery, sentinelGroup, type SentinelGroup } from "./support.js";

const PRS = 16;
const PARALLEL = 4;

let group: SentinelGroup | undefined;
// Registered before useGitHubApp's hooks, so it runs after prbox has stopped.
afterAll(() => group?.stop());
const it = useGitHubApp(async () => {
  group = await sentinelGroup();
  return { redisUrl: group.url, env: { PRBOX_REQUIRED_LABEL: "preview" } };
});

it(
  "follows a Sentinel failover during a burst of deliveries and loses nothing it acknowledged",
  { timeout: 300_000 },
  async ({ t }) => {
    const redis = group;
    if (!redis) throw new Error("no Sentinel group");
    const before = await redis.master();
    expect(before).toBe(`127.0.0.1:${String(redis.primary.port)}`);
    await openPullRequests(t, PRS);

    let killedAt = 0;
    const answers = await sendBurst(t, {
      parallel: PARALLEL,
      // Pace the burst so the failover (about two seconds) falls inside it.
      pauseMs: 150,
      during: async (answers) => {
        await until("a third of the burst was answered", () => answers.size >= PRS / 3, { intervalMs: 10 });
        killedAt = Date.now();
        await redis.primary.kill("SIGKILL");
      },
    });

    // The failover fell inside the burst: the deliveries sent while there was no master failed at once.
    expect([...answers.values()].filter((a) => a.status >= 500).length).toBeGreaterThan(0);

    // The Sentinels promoted the replica, and prbox writes to it.
    await until("the Sentinels name the replica as master", async () => (await redis.master()) !== before, {
      timeoutMs: 30_000,
    });
    expect(await redis.master()).toBe(`127.0.0.1:${String(redis.replica.port)}`);
    await until("prbox is connected to the new primary", async () => (await fetch(`${t.prbox.baseUrl}/readyz`)).ok, {
      timeoutMs: 30_000,
    });
    await recordRecovery("Sentinel failover (primary SIGKILL) → prbox ready", Date.now() - killedAt);
    await expectAcknowledgedKept(t, answers);
    await redeliverAndExpectReports(t, answers);
  },
);
