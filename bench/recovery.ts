// Recovery benchmark: how long prbox takes to converge after a worker is SIGKILLed mid-deploy,
// after Redis is SIGKILLed and restarted during a burst, and after the API server was unreachable
// for 30 s. The scenarios are the resilience tests (test/resilience/); each records its recovery
// time in the file named by PRBOX_RECOVERY_TIMES. This runs them RECOVERY_RUNS times (default 3)
// and prints the median of each. No assertion: machines are noisy.
//
//   npm run bench:recovery                   the worker takeover with prbox's default lock (30 s)
//                                            and stalled check (15 s)
//   RECOVERY_FAST_TAKEOVER=1 npm run bench:recovery   with the tests' 2 s lock / 500 ms check
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const RUNS = Number(process.env.RECOVERY_RUNS ?? 3);
// RECOVERY_FILES (comma-separated) runs some of the scenarios only.
const FILES = process.env.RECOVERY_FILES?.split(",") ?? [
  "test/e2e/resilience/worker-kill.test.ts",
  "test/e2e/resilience/redis-restart.test.ts",
  "test/e2e/resilience/sentinel.test.ts",
  "test/e2e/resilience/api-outage.test.ts",
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const dir = await mkdtemp(path.join(os.tmpdir(), "prbox-recovery-"));
const file = path.join(dir, "times.jsonl");
try {
  for (let run = 1; run <= RUNS; run++) {
    process.stderr.write(`run ${run}/${RUNS}…\n`);
    const env = {
      ...process.env,
      PRBOX_RECOVERY_TIMES: file,
      PRBOX_RECOVERY_DEFAULTS: process.env.RECOVERY_FAST_TAKEOVER ? "" : "1",
    };
    const result = spawnSync("npx", ["vitest", "run", ...FILES], { env, stdio: ["ignore", "ignore", "inherit"] });
    if (result.status !== 0) process.stderr.write(`run ${run}: some scenario failed (its time is missing)\n`);
  }
  const samples = new Map<string, number[]>();
  for (const line of (await readFile(file, "utf8").catch(() => "")).split("\n").filter(Boolean)) {
    const { scenario, ms } = JSON.parse(line) as { scenario: string; ms: number };
    samples.set(scenario, [...(samples.get(scenario) ?? []), ms]);
  }
  console.log(
    `recovery (median of ${RUNS} runs; ${process.env.RECOVERY_FAST_TAKEOVER ? "2 s lock, 500 ms stalled check" : "default 30 s lock, 15 s stalled check"})`,
  );
  for (const [scenario, values] of samples) {
    console.log(
      `  ${scenario.padEnd(56)} ${(median(values) / 1000).toFixed(1).padStart(6)} s   (runs: ${values.map((v) => (v / 1000).toFixed(1)).join(", ")})`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
