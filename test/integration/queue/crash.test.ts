import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { harness, idle, testRedisUrl, waitFor } from "./support.js";

const script = fileURLToPath(new URL("fixtures/stuck-worker.ts", import.meta.url));

/** Runs the stuck worker in a process of its own; resolves once it has taken a job. */
function startStuckWorker(prefix: string): { child: ChildProcess; started: Promise<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", script, testRedisUrl(), prefix], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const started = new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const line = /^started .*$/m.exec(output);
      if (line) resolve(line[0]);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`the worker process ended (${signal ?? String(code)}) before taking a job:\n${output}`)),
    );
  });
  return { child, started };
}

function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

describe("a worker that dies mid-job", () => {
  it("leaves its job to another worker, which finishes it", async () => {
    const h = await harness();
    const { child, started } = startStuckWorker(h.prefix);
    onTestFinished(() => killed(child));
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    expect(await started).toBe("started env-a attempt 1");

    await killed(child);
    const finished: string[] = [];
    await h.worker({
      stalledIntervalMs: 300,
      handler: async (envId) => {
        finished.push(envId);
      },
    });
    await waitFor("another worker finished the job", async () => finished.length > 0 && (await idle(h.queue)));
    expect(finished).toEqual(["env-a"]);
    expect(await h.queue.bull.getCompletedCount()).toBe(1);
    expect(await h.queue.bull.getFailedCount()).toBe(0);
  });
});
