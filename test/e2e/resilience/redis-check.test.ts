// The start-up check of Redis's settings (PRBOX_REDIS_CHECK): prbox's promise that no acknowledged
// delivery is lost holds only with an append-only file, and BullMQ breaks when Redis evicts keys.
// Real redis-servers: the suite's (no persistence), one configured as docs/reliability.md says,
// and one that forbids CONFIG as managed Redis services do.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { PrboxError } from "../../../src/errors.js";
import type { Logger } from "../../../src/log.js";
import { createRuntime } from "../../../src/main/runtime.js";
import {
  checkRedisSettings,
  connectRedis,
  readRedisSettings,
  redisProblems,
  type RedisConnection,
} from "../../../src/queue/index.js";
import { createLogger } from "../../../src/log.js";
import { persistentRedis } from "./support.js";

/** A logger that keeps its warnings, to read what the operator would see. */
function warningsLog(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const log: Logger = {
    debug: () => {},
    info: () => {},
    error: () => {},
    warn: (_obj, msg) => void warnings.push(msg ?? ""),
    child: () => log,
  };
  return { log, warnings };
}

const servers: { stop(): Promise<void> }[] = [];
const connections: RedisConnection[] = [];
afterAll(async () => {
  for (const redis of connections) redis.disconnect();
  for (const server of servers) await server.stop();
});

async function connect(url: string): Promise<RedisConnection> {
  const redis = await connectRedis(url, { role: "client" });
  connections.push(redis);
  return redis;
}

describe("Redis without an append-only file (the suite's test Redis)", () => {
  let redis: RedisConnection;
  beforeAll(async () => {
    redis = await connect(inject("redisUrl"));
  });

  it("is reported, with what to set, when PRBOX_REDIS_CHECK=warn", async () => {
    const { log, warnings } = warningsLog();
    await checkRedisSettings(redis, "warn", log);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/appendonly no/);
    expect(warnings[0]).toContain('set "appendonly yes"');
  });

  it("stops prbox from starting when PRBOX_REDIS_CHECK=require, saying how to fix it", async () => {
    const config = loadConfig({ NODE_ENV: "test", PRBOX_REDIS_URL: inject("redisUrl"), PRBOX_REDIS_CHECK: "require" });
    const error = await createRuntime(config, createLogger({ level: "silent" }), {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrboxError);
    expect((error as PrboxError).message).toMatch(/Redis is not configured as prbox needs:\n {2}- .*appendonly/);
    expect((error as PrboxError).hint).toContain("PRBOX_REDIS_CHECK=warn");
  });

  it("is not looked at when PRBOX_REDIS_CHECK=off", async () => {
    const { log, warnings } = warningsLog();
    await checkRedisSettings(redis, "off", log);
    expect(warnings).toEqual([]);
  });
});

describe("Redis configured as docs/reliability.md says", () => {
  it("passes the check", async () => {
    const server = await persistentRedis({ appendfsync: "everysec" });
    servers.push(server);
    const redis = await connect(server.url);
    expect(await readRedisSettings(redis)).toEqual({
      appendonly: "yes",
      appendfsync: "everysec",
      maxmemoryPolicy: "noeviction",
    });
    const { log, warnings } = warningsLog();
    await checkRedisSettings(redis, "require", log);
    expect(warnings).toEqual([]);
  });
});

describe("a managed Redis that forbids CONFIG and evicts keys", () => {
  it("is still checked through INFO, and the eviction policy is reported", async () => {
    const server = await persistentRedis({
      appendfsync: "everysec",
      extraArgs: ["--rename-command", "CONFIG", "", "--maxmemory-policy", "allkeys-lru"],
    });
    servers.push(server);
    const redis = await connect(server.url);
    expect(await readRedisSettings(redis)).toEqual({
      appendonly: "yes",
      appendfsync: undefined,
      maxmemoryPolicy: "allkeys-lru",
    });
    const { log, warnings } = warningsLog();
    await checkRedisSettings(redis, "warn", log);
    expect(warnings).toEqual([expect.stringContaining('set "maxmemory-policy noeviction"')]);
  });
});

describe("what counts as a problem", () => {
  it("names an append-only file without fsync, and nothing when fsync is every second", () => {
    expect(redisProblems({ appendonly: "yes", appendfsync: "no", maxmemoryPolicy: "noeviction" })).toEqual([
      expect.stringContaining("appendfsync no"),
    ]);
    expect(redisProblems({ appendonly: "yes", appendfsync: "everysec", maxmemoryPolicy: "noeviction" })).toEqual([]);
  });
});
