// What a benchmark starts and must stop again: a private Redis, a test control plane. Every
// start registers its stop with `Services`, which stops everything in reverse order, also when
// the benchmark fails half-way or gets SIGINT/SIGTERM.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startRedisServer, type RedisServer } from "../../test/setup/redis.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

type Stop = () => Promise<void>;

export class Services {
  private readonly stops: { what: string; stop: Stop }[] = [];
  private readonly onSignal = () => {
    void this.stopAll().finally(() => process.exit(130));
  };

  constructor() {
    process.once("SIGINT", this.onSignal);
    process.once("SIGTERM", this.onSignal);
  }

  add(what: string, stop: Stop): void {
    this.stops.push({ what, stop });
  }

  async redis(): Promise<RedisServer> {
    const server = await startRedisServer();
    this.add("redis-server", () => server.stop());
    return server;
  }

  /** A test control plane (scripts/test-cluster); returns its kubeconfig path. */
  async cluster(): Promise<string> {
    await testCluster(["build"]);
    const dir = await mkdtemp(path.join(os.tmpdir(), "prbox-bench-cluster-"));
    this.add("test control plane", async () => {
      await testCluster(["stop", dir]).catch((error: unknown) => console.error(String(error)));
      await rm(dir, { recursive: true, force: true });
    });
    const out = await testCluster(["start", dir]);
    const kubeconfig = out.trim().split("\n").pop() ?? "";
    if (!kubeconfig) throw new Error("scripts/test-cluster start printed no kubeconfig path");
    return kubeconfig;
  }

  async stopAll(): Promise<void> {
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
    for (const { what, stop } of this.stops.splice(0).reverse()) {
      await stop().catch((error: unknown) => console.error(`could not stop ${what}: ${String(error)}`));
    }
  }
}

/** Runs `fn` with fresh Services and stops them afterwards, whatever happens. */
export async function withServices<T>(fn: (services: Services) => Promise<T>): Promise<T> {
  const services = new Services();
  try {
    return await fn(services);
  } finally {
    await services.stopAll();
  }
}

function testCluster(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(REPO_ROOT, "scripts/test-cluster"), [...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (err = (err + chunk.toString("utf8")).slice(-4000)));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`scripts/test-cluster ${args.join(" ")} failed (exit ${String(code)}):\n${err}`)),
    );
  });
}
