// Redis killed and restarted during a burst of deliveries. Redis runs with the persistence prbox
// asks for (append-only file, `appendfsync always`, noeviction). Every delivery prbox answered 2xx
// must survive as the environment's desired state and be reconciled; deliveries during the outage
// must get a 5xx at once (GitHub then records a failed delivery and it can be redelivered), not
// hang. The burst itself is in burst.ts.
import { afterAll, expect } from "vitest";
import { useGitHubApp } from "../github/support/prbox.js";
import { until } from "../github/support/wait.js";
import { expectAcknowledgedKept, openPullRequests, redeliverAndExpectReports, sendBurst } from "./burst.js";
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
    await openPullRequests(t, PRS);

    // A third of the way in, Redis is SIGKILLed, and started again once a delivery failed.
    let restartedAt = 0;
    const answers = await sendBurst(t, {
      parallel: PARALLEL,
      // Without the outage each delivery takes milliseconds; pace the burst so the outage falls inside it.
      pauseMs: 100,
      during: async (answers) => {
        await until("a third of the burst was answered", () => answers.size >= PRS / 3, { intervalMs: 10 });
        await server.kill("SIGKILL");
        await until(
          "a delivery failed while Redis was down",
          () => [...answers.values()].some((a) => a.status >= 500),
          {
            intervalMs: 10,
          },
        );
        await server.start();
        restartedAt = Date.now();
      },
    });
    expect([...answers.values()].filter((a) => a.status >= 500).length).toBeGreaterThan(0);

    // What prbox acknowledged before the crash came back with Redis (the append-only file).
    await until("prbox is connected to Redis again", async () => (await fetch(`${t.prbox.baseUrl}/readyz`)).ok, {
      timeoutMs: 30_000,
    });
    await recordRecovery("Redis SIGKILL + restart → prbox ready", Date.now() - restartedAt);
    await expectAcknowledgedKept(t, answers);
    await redeliverAndExpectReports(t, answers);
  },
);
