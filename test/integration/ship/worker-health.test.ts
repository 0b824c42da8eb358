// The chart probes `prbox worker` on its port: the real CLI in a process of its own, against the
// test Redis, answers /healthz, /readyz and /metrics, and stops cleanly on SIGTERM (the signal a
// container's PID 1 gets).
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { pollUntil } from "../../../src/cluster/poll.js";

const root = path.resolve(import.meta.dirname, "../../..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "?")));
}

async function get(port: number, route: string): Promise<{ status: number; body: string } | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${route}`);
    return { status: response.status, body: await response.text() };
  } catch {
    return null; // not listening yet
  }
}

describe("prbox worker", () => {
  it("serves /healthz, /readyz and /metrics on PORT and stops on SIGTERM", async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "development",
      HOST: "127.0.0.1",
      PORT: String(port),
      PRBOX_REDIS_URL: inject("redisUrl"),
      PRBOX_REDIS_PREFIX: `worker-health-${port}`,
      KUBECONFIG: path.join(root, "no-such-kubeconfig"),
    };
    const child = spawn(process.execPath, ["--import", "tsx", "src/main/bin.ts", "worker"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    onTestFinished(() => void (child.exitCode === null && child.kill("SIGKILL")));

    const up = await pollUntil(async () => (await get(port, "/healthz"))?.status === 200 || child.exitCode !== null, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: "waiting for the worker",
    });
    expect(child.exitCode, output).toBeNull();
    expect(up).toBe(true);

    const ready = await get(port, "/readyz");
    // Redis answers; the kubeconfig does not exist, so the worker is alive but not ready, and says why.
    expect(ready?.status).toBe(503);
    expect(ready?.body).toMatch(/^kubernetes: /m);
    expect(ready?.body).not.toMatch(/^redis: /m);
    expect((await get(port, "/metrics"))?.body).toContain("prbox_reconcile_jobs_total");

    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    expect(output).toContain("stopped");
    // Each line once: "reconcile worker started" used to come from both the queue and the process.
    const messages = output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toContain("reconcile worker started");
    expect(
      messages.filter((m, i) => messages.indexOf(m) !== i),
      "logged more than once",
    ).toEqual([]);
  });
});
