// Webhook intake: a real `prbox server` process with a real Redis, loaded by autocannon with
// correctly signed pull_request.synchronize deliveries at fixed rates and at its maximum.
// Measures throughput, time to acknowledge (p50/p99, corrected for coordinated omission at fixed
// rates), errors and non-2xx answers, and checks that every 2xx delivery was stored in Redis.
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import { freePort } from "../test/setup/redis.js";
import { deliveryFactory } from "./lib/deliveries.js";
import { startPrboxProcess } from "./lib/process.js";
import { withServices } from "./lib/services.js";
import { median, ms, table, verdict } from "./lib/stats.js";
import type { Benchmark } from "./run.js";

const RATES = (process.env.BENCH_INTAKE_RATES ?? "250,500,1000,1500,max").split(",");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DURATION_S = Number(process.env.BENCH_INTAKE_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_INTAKE_CONNECTIONS ?? 50);
const GOAL = { rate: 1000, p99Ms: 25 };

interface Sample {
  throughput: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  acknowledged: number;
  stored: number;
  serverCpu: number;
}

async function load(url: string, secret: string, rate: string): Promise<Omit<Sample, "stored" | "serverCpu">> {
  const deliveries = deliveryFactory(secret, { prs: 5000, installationId: 4242 });
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    timeout: 10,
    ...(rate === "max" ? {} : { overallRate: Number(rate) }),
    requests: [{ method: "POST", setupRequest: (req) => ({ ...req, ...deliveries.next(), method: "POST" }) }],
  });
  return {
    throughput: result["2xx"] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    acknowledged: result["2xx"],
  };
}

/** Deliveries the server recorded (one key each) — every 2xx must be there. */
async function storedDeliveries(redis: Redis, prefix: string): Promise<number> {
  let count = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:delivery:*`, "COUNT", 5000);
    cursor = next;
    count += keys.length;
  } while (cursor !== "0");
  return count;
}

function serverEnv(redisUrl: string, port: number, secret: string): Record<string, string> {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return {
    NODE_ENV: "production",
    LOG_LEVEL: "info",
    APP_ID: "123456",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: secret,
    PRBOX_REDIS_URL: redisUrl,
    KUBECONFIG: "/nonexistent",
    HOST: "127.0.0.1",
    PORT: String(port),
  };
}

// A server that only reads the body and answers 200: what the load generator and the machine
// manage without prbox, the floor under every figure of prbox's.
const TRIVIAL_SERVER = `require("node:http").createServer((q, s) => { q.resume(); q.on("end", () => s.end("ok")); }).listen(Number(process.env.PORT), "127.0.0.1");`;

async function baseline(): Promise<Map<string, Sample[]>> {
  return withServices(async (services) => {
    const port = await freePort();
    const child = spawn(process.execPath, ["-e", TRIVIAL_SERVER], { env: { PORT: String(port) }, stdio: "ignore" });
    services.add("trivial server", async () => void child.kill("SIGTERM"));
    const url = `http://127.0.0.1:${String(port)}/`;
    for (
      let i = 0;
      i < 100 &&
      !(await fetch(url).then(
        () => true,
        () => false,
      ));
      i++
    )
      await sleep(50);
    const samples = new Map<string, Sample[]>();
    for (const rate of RATES) {
      const sample = await load(url, "unused", rate);
      samples.set(rate, [{ ...sample, stored: sample.acknowledged, serverCpu: Number.NaN }]);
      console.error(
        `trivial server ${rate}/s: ${sample.throughput.toFixed(0)}/s p50 ${String(sample.p50)} ms p99 ${String(sample.p99)} ms`,
      );
    }
    return samples;
  });
}

async function measure(): Promise<Map<string, Sample[]>> {
  return withServices(async (services) => {
    const redisServer = await services.redis();
    const port = await freePort();
    const secret = randomBytes(20).toString("hex");
    const dir = await mkdtemp(path.join(os.tmpdir(), "prbox-bench-intake-"));
    const profile = process.env.BENCH_PROFILE === "1" ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
    const server = await startPrboxProcess(services, {
      role: "server",
      env: serverEnv(redisServer.url, port, secret),
      logFile: path.join(dir, "server.log"),
      nodeArgs: profile,
    });
    if (profile.length > 0) console.error(`CPU profile will be written to ${dir}`);
    const redis = new Redis(redisServer.url);
    services.add("redis client", async () => void redis.disconnect());
    const url = `${server.baseUrl}/api/github/webhooks`;
    await load(url, secret, "200"); // warm-up: JIT, connections
    const samples = new Map<string, Sample[]>();
    for (let run = 0; run < RUNS; run++) {
      for (const rate of RATES) {
        await redis.flushall();
        const cpuBefore = server.cpuMs();
        const sample = await load(url, secret, rate);
        // CPU ms the server spent per delivery it acknowledged: the figure least disturbed by a busy machine.
        const serverCpu = (server.cpuMs() - cpuBefore) / Math.max(1, sample.acknowledged);
        const stored = await storedDeliveries(redis, "prbox");
        samples.set(rate, [...(samples.get(rate) ?? []), { ...sample, stored, serverCpu }]);
        console.error(
          `intake ${rate}/s run ${String(run + 1)}: ${sample.throughput.toFixed(0)}/s p50 ${String(sample.p50)} ms p99 ${String(sample.p99)} ms non2xx ${String(sample.non2xx)} errors ${String(sample.errors)} stored ${String(stored)}/${String(sample.acknowledged)} server CPU ${serverCpu.toFixed(2)} ms/delivery`,
        );
      }
    }
    return samples;
  });
}

function report(samples: Map<string, Sample[]>, floor: Map<string, Sample[]>): string {
  const rows = [...samples].map(([rate, runs]) => {
    const m = (f: (s: Sample) => number) => median(runs.map(f));
    const lost = runs.reduce((sum, s) => sum + Math.max(0, s.acknowledged - s.stored), 0);
    return [
      rate === "max" ? "max" : `${rate}/s`,
      ms(m((s) => s.throughput)),
      ms(m((s) => s.p50)),
      ms(m((s) => s.p99)),
      String(runs.reduce((sum, s) => sum + s.errors + s.non2xx, 0)),
      String(lost),
      m((s) => s.serverCpu).toFixed(2),
    ];
  });
  const at = samples.get(String(GOAL.rate));
  const met =
    at !== undefined &&
    median(at.map((s) => s.throughput)) >= GOAL.rate * 0.98 &&
    median(at.map((s) => s.p99)) < GOAL.p99Ms;
  return [
    `One \`prbox server\` process (NODE_ENV=production, LOG_LEVEL=info, logs to a file), a private redis-server, autocannon with ${String(CONNECTIONS)} keep-alive connections for ${String(DURATION_S)} s per rate, ${String(RUNS)} runs per rate (medians; errors and lost deliveries summed over the runs). Every delivery is a signed \`pull_request.synchronize\` with a new head SHA for one of 5000 PRs, so each one changes a desired state and enqueues a job. "lost" = deliveries answered 2xx but not recorded in Redis.`,
    "",
    table(
      ["offered rate", "acknowledged/s", "p50 ms", "p99 ms", "errors + non-2xx", "lost", "server CPU ms per delivery"],
      rows,
    ),
    "",
    "The floor: the same load against a trivial HTTP server (reads the body, answers 200) in its own process, one run. When these figures are far from 0 ms and the offered rate, the machine is busy and prbox's figures above say more about it than about prbox.",
    "",
    table(
      ["offered rate", "answered/s", "p50 ms", "p99 ms"],
      [...floor].map(([rate, [s]]) => [
        rate === "max" ? "max" : `${rate}/s`,
        ms(s?.throughput ?? NaN),
        ms(s?.p50 ?? NaN),
        ms(s?.p99 ?? NaN),
      ]),
    ),
    "",
    verdict(met, `at least ${String(GOAL.rate)} deliveries/s with p99 under ${String(GOAL.p99Ms)} ms`),
  ].join("\n");
}

export const intakeBenchmark: Benchmark = {
  name: "intake",
  title: "Webhook intake",
  run: async () => report(await measure(), await baseline()),
};
