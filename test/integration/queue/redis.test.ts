import { describe, expect, it, onTestFinished } from "vitest";
import { PrboxError } from "../../../src/errors.js";
import { connectRedis, createReconcileQueue, redactRedisUrl, RedisStateStore } from "../../../src/queue/index.js";
import { freePort, startRedisServer } from "../../setup/redis.js";
import { desiredState, uniquePrefix } from "./support.js";

const HINT = "start redis-server or set PRBOX_REDIS_URL";

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );
}

describe("connectRedis", () => {
  it("fails with one clear line when nothing listens at the URL", async () => {
    const port = await freePort();
    const error = await failure(connectRedis(`redis://127.0.0.1:${String(port)}`, { role: "client" }));
    expect(error).toBeInstanceOf(PrboxError);
    expect(error).toMatchObject({
      kind: "transient",
      message: `cannot reach Redis at redis://127.0.0.1:${String(port)}: connection refused; ${HINT}`,
    });
  });

  it("fails the same way for a worker connection, which would otherwise wait for Redis forever", async () => {
    const port = await freePort();
    const error = await failure(connectRedis(`redis://127.0.0.1:${String(port)}`, { role: "worker" }));
    expect(error).toMatchObject({
      message: `cannot reach Redis at redis://127.0.0.1:${String(port)}: connection refused; ${HINT}`,
    });
  });

  it("never shows the password of the URL", async () => {
    const port = await freePort();
    const error = await failure(connectRedis(`redis://prbox:hunter2@127.0.0.1:${String(port)}/2`, { role: "client" }));
    expect((error as Error).message).toBe(
      `cannot reach Redis at redis://prbox:***@127.0.0.1:${String(port)}/2: connection refused; ${HINT}`,
    );
    expect(redactRedisUrl("rediss://:s3cret@redis.internal:6380")).toBe("rediss://:***@redis.internal:6380");
  });

  it("refuses a value that is not a redis:// URL, without echoing it", async () => {
    const error = await failure(connectRedis("http://user:hunter2@example.com", { role: "client" }));
    expect(error).toMatchObject({
      kind: "permanent",
      message: expect.stringMatching(
        /^the Redis URL is not usable: not a Redis URL; expected redis:\/\/\[user:password@\]host:port/,
      ),
    });
    expect(JSON.stringify(error)).not.toContain("hunter2");
  });
});

describe("a client connection when Redis goes away", () => {
  it(
    "makes enqueue and the store fail fast with the same clear line instead of waiting",
    { timeout: 20_000 },
    async () => {
      const server = await startRedisServer();
      onTestFinished(() => server.stop());
      const redis = await connectRedis(server.url, { role: "client" });
      onTestFinished(() => redis.disconnect());
      const prefix = uniquePrefix();
      const queue = createReconcileQueue({ connection: redis, prefix });
      onTestFinished(() => queue.close());
      const store = new RedisStateStore(redis, { prefix });
      await queue.enqueueReconcile("env-a");

      await server.stop();
      const lost = new RegExp(`^cannot reach Redis at ${server.url.replaceAll(".", "\\.")}: .+; ${HINT}$`);
      const enqueueError = await failure(queue.enqueueReconcile("env-a"));
      expect(enqueueError).toBeInstanceOf(PrboxError);
      expect(enqueueError).toMatchObject({ kind: "transient", message: expect.stringMatching(lost) });
      const storeError = await failure(store.updateDesired("env-a", () => desiredState("env-a")));
      expect(storeError).toMatchObject({ kind: "transient", message: expect.stringMatching(lost) });
    },
  );
});
