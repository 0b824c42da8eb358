// PRBOX_REDIS_REPLICAS: an enqueue (the last write of a delivery's intake) returns only once the
// connected replicas hold it, so a delivery answered 2xx survives a failover. A replica that
// stops confirming (SIGSTOPped here) makes the enqueue fail with the reason, and the webhook
// answers 5xx; one that is not connected at all is not waited for.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, createReconcileQueue, type RedisConnection } from "../../../src/queue/index.js";
import { persistentRedis, type PersistentRedis } from "./support.js";

type Server = PersistentRedis & { stop(): Promise<void> };
let primary: Server;
let replica: Server;
let redis: RedisConnection;

beforeAll(async () => {
  primary = await persistentRedis({ appendfsync: "everysec" });
  replica = await persistentRedis({
    appendfsync: "everysec",
    extraArgs: ["--replicaof", "127.0.0.1", String(primary.port)],
  });
  redis = await connectRedis(primary.url, { role: "client", commandTimeoutMs: 5000 });
  await replicasAre(1);
});
afterAll(async () => {
  redis.disconnect();
  await replica.stop();
  await primary.stop();
});

/** Waits until the primary counts `n` connected replicas (ROLE). */
async function replicasAre(n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const role = (await redis.call("ROLE")) as [string, number, unknown[]];
    if (role[2].length === n) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the primary did not count ${String(n)} replica(s)`);
}

function queue(replicas: number) {
  return createReconcileQueue({ connection: redis, prefix: "replicas-test", replicas, delayMs: 0 });
}

describe("an enqueue with PRBOX_REDIS_REPLICAS", () => {
  it("returns once the replica holds the write", async () => {
    const q = queue(1);
    await q.enqueueReconcile("github-acme-shop-1");
    await q.close();
  });

  it("fails with the reason when the replica does not confirm within a second", { timeout: 20_000 }, async () => {
    const q = queue(1);
    replica.signal("SIGSTOP");
    try {
      const error = await q.enqueueReconcile("github-acme-shop-2").then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        kind: "transient",
        message: `Redis at ${primary.url}: 0 of 1 replica(s) confirmed the write within 1 s (PRBOX_REDIS_REPLICAS); not acknowledged, so a failover cannot lose it (the forge redelivers)`,
      });
    } finally {
      replica.signal("SIGCONT");
      await q.close();
    }
  });

  it("does not wait for a replica that is not connected", { timeout: 20_000 }, async () => {
    await replica.kill("SIGKILL");
    await replicasAre(0);
    const q = queue(1);
    await q.enqueueReconcile("github-acme-shop-3");
    await q.close();
  });
});
