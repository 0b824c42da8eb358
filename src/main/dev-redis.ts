import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import type { Config } from "../config/config.js";
import { cacheDirectory } from "../render/helm-binary.js";
import type { Logger } from "../log.js";

/** Whether something accepts TCP connections at host:port (within `timeoutMs`). */
export function answers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function onPath(name: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const { access, constants } = await import("node:fs/promises");
  for (const dir of dirs) {
    if (
      await access(path.join(dir, name), constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}

/**
 * Development convenience (README, "Two commands"; PRBOX_REDIS_URL in docs/configuration.md): with no PRBOX_REDIS_URL and nothing answering on
 * 127.0.0.1:6379, start a private redis-server there (data under prbox's cache directory, with
 * an append-only file so queued work survives a restart) and say so. Never in production, never
 * when the operator named a Redis. Returns the child to stop on exit, or null.
 */
export async function startDevRedis(config: Config, log: Logger): Promise<ChildProcess | null> {
  if (config.mode !== "development" || !config.redisDefaulted) return null;
  if (await answers("127.0.0.1", 6379)) return null;
  if (!(await onPath("redis-server"))) {
    log.warn(
      {},
      "nothing answers at redis://127.0.0.1:6379 and redis-server is not installed: install it (apt-get install redis-server) or set PRBOX_REDIS_URL",
    );
    return null;
  }
  const dir = path.join(cacheDirectory(process.env), "dev-redis");
  await mkdir(dir, { recursive: true });
  const child = spawn(
    "redis-server",
    ["--bind", "127.0.0.1", "--port", "6379", "--dir", dir, "--appendonly", "yes", "--save", ""],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 50 && !(await answers("127.0.0.1", 6379)); i++) await new Promise((r) => setTimeout(r, 100));
  log.info(
    { dir, pid: child.pid },
    "started a private redis-server on 127.0.0.1:6379 for development (set PRBOX_REDIS_URL to use your own)",
  );
  return child;
}
