// A redis-server on a given port: to bring back, on the same address, a Redis a test stopped.
// (test/setup/redis.ts's startRedisServer picks a free port of its own.)
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { until } from "./wait.js";

export interface StartedRedis {
  stop(): Promise<void>;
}

export async function startRedisOn(port: number): Promise<StartedRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "prbox-e2e-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"];
  const child = spawn(process.env.REDIS_SERVER_BIN ?? "redis-server", args, { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await until(`redis-server answers on port ${port}`, async () => {
      const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on("error", () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === "PONG";
      } finally {
        probe.disconnect();
      }
    }, { timeoutMs: 10_000, intervalMs: 100 });
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}
