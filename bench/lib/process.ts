// A prbox process started the way an operator starts it (`prbox server`, from the sources through
// tsx so the benchmark measures the code in the worktree), stopped with SIGTERM.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT, type Services } from "./services.js";

export interface PrboxProcess {
  child: ChildProcess;
  baseUrl: string;
  /** CPU time (user + system) the process used so far, in ms. */
  cpuMs(): number;
}

export async function startPrboxProcess(
  services: Services,
  options: { role: "server" | "worker" | "start"; env: Record<string, string>; logFile: string; nodeArgs?: string[] },
): Promise<PrboxProcess> {
  // The log goes straight to a file: through a pipe to this (busy) process, pino's synchronous
  // writes would block on a full pipe and the benchmark would measure its own reading speed.
  const log = openSync(options.logFile, "a");
  const args = [...(options.nodeArgs ?? []), "--import", "tsx", path.join(REPO_ROOT, "src/main/bin.ts"), options.role];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
    stdio: ["ignore", log, log],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  services.add(`prbox ${options.role}`, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await Promise.race([exited, sleep(15_000).then(() => child.kill("SIGKILL"))]);
    closeSync(log);
  });
  const baseUrl = `http://127.0.0.1:${options.env.PORT ?? "3000"}`;
  await waitForHealth(baseUrl, child, options.logFile);
  return { child, baseUrl, cpuMs: () => cpuMsOf(child.pid ?? 0) };
}

async function waitForHealth(baseUrl: string, child: ChildProcess, logFile: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null)
      throw new Error(`prbox exited with status ${String(child.exitCode)} while starting; see ${logFile}`);
    const ok = await fetch(`${baseUrl}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`prbox did not answer ${baseUrl}/healthz within 30 s; see ${logFile}`);
}

/** utime + stime of a process from /proc (clock ticks of 10 ms), in ms; 0 where /proc is not there. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}
