// vitest globalSetup: gives the tests a real Redis.
//
// - PRBOX_TEST_REDIS_URL set: use that server as is; nothing is started or stopped.
// - Otherwise: start `redis-server` (PATH, or REDIS_SERVER_BIN) on a free loopback port with a
//   temporary directory and no persistence; teardown stops it and removes the directory.
//
// Tests read the URL with `inject("redisUrl")`. startRedisServer is exported for the tests that
// need a Redis of their own (one they can stop).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { cleanUpIfKilled } from "./orphans.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (another process may still take it before we do). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when something on the port answers PING with PONG. */
/** True when a Redis on the loopback port answers PING with PONG (not while it is LOADING). */
export function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function waitUntilReady(child: ChildProcess, port: number, output: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with status ${String(child.exitCode)}:\n${output()}`);
    if (await pings(port)) return;
    await sleep(50);
  }
  throw new Error(`redis-server did not answer PING on port ${String(port)}:\n${output()}`);
}

async function startOn(port: number, dir: string): Promise<RedisServer> {
  const bin = process.env.REDIS_SERVER_BIN ?? "redis-server";
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
  ];
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once("error", (error) =>
      reject(
        new Error(`cannot run ${bin} (install the redis-server package, or set PRBOX_TEST_REDIS_URL)`, {
          cause: error,
        }),
      ),
    );
  });
  const stop = async () => {
    child.kill("SIGTERM");
    await exited(child);
  };
  try {
    await Promise.race([waitUntilReady(child, port, () => output), spawnFailed]);
    // Stops this redis-server if the process that started it dies without stopping it.
    cleanUpIfKilled('kill -0 "$1" 2>/dev/null', 'kill "$1"; rm -rf "$2"', [String(child.pid), dir]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return { url: `redis://127.0.0.1:${String(port)}`, port, stop };
}

/** A throw-away redis-server on the given loopback port: to bring back, on the same address, a Redis a test stopped. */
export async function startRedisOn(port: number): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "prbox-redis-"));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const server = await startOn(port, dir);
    return {
      ...server,
      stop: async () => {
        await server.stop();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Starts a private, throw-away redis-server on a free loopback port. */
export async function startRedisServer(): Promise<RedisServer> {
  let lastError: unknown;
  // The free port can be taken between asking and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startRedisOn(await freePort());
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.PRBOX_TEST_REDIS_URL;
  if (given) {
    project.provide("redisUrl", given);
    return async () => {};
  }
  const server = await startRedisServer();
  project.provide("redisUrl", server.url);
  return () => server.stop();
}
