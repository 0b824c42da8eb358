// Shared pieces of the resilience tests: prbox as real separate processes (`prbox server`,
// `prbox worker`, run from the sources under tsx) that can be SIGKILLed, a kubeconfig for the
// fault-injecting cluster proxy, and the recovery times the bench collects (bench/recovery.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { inject, onTestFinished } from "vitest";
import { freePort, pings } from "../../setup/redis.js";
import { testKubeconfig } from "../../support/cluster-fixtures.js";

const BIN = fileURLToPath(new URL("../../../src/main/bin.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");

/** A GitHub App's keys (PKCS#1, as GitHub hands them out) and an installation with its token. */
export interface AppCredentials {
  appId: string;
  privateKey: string;
  publicKey: string;
  secret: string;
  installationId: number;
  installationToken: string;
}

export function appCredentials(): AppCredentials {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return {
    appId: String(200_000 + randomBytes(2).readUInt16BE()),
    privateKey,
    publicKey,
    secret: randomBytes(20).toString("hex"),
    installationId: 50_000_000 + randomBytes(2).readUInt16BE(),
    installationToken: `ghs_${randomBytes(27).toString("base64url").replace(/[-_]/g, "x").slice(0, 36)}`,
  };
}

export interface PrboxProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote (pino JSON lines, and stderr). */
  output(): string;
  /** Resolves when a line matching `pattern` was written; rejects when the process ends first. */
  line(pattern: RegExp): Promise<string>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * `prbox <role>` as its own process: the real entry point (src/main/bin.ts) with the real
 * configuration, given by `env` alone. Stopped (SIGKILL) when the test finishes, if still running.
 */
export async function startPrboxProcess(role: "server" | "worker", env: Record<string, string>): Promise<PrboxProcess> {
  // An empty working directory: no .env of the developer's is read.
  const cwd = await mkdtemp(path.join(os.tmpdir(), "prbox-process-"));
  const child = spawn(process.execPath, ["--import", TSX, BIN, role], {
    cwd,
    // PORT 0: a worker's health server (and a server not given a port) takes a free port.
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? cwd,
      HELM_BIN: process.env.HELM_BIN ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const listeners = new Set<() => void>();
  const keep = (chunk: Buffer) => {
    text += chunk.toString("utf8");
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals) => {
    if (running()) child.kill(signal);
    await exited;
  };
  onTestFinished(async () => {
    await kill("SIGKILL");
    await rm(cwd, { recursive: true, force: true });
  });
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const found = text.split("\n").find((l) => pattern.test(l));
        if (found !== undefined) {
          listeners.delete(look);
          resolve(found);
        }
      };
      listeners.add(look);
      look();
      void exited.then(() => {
        listeners.delete(look);
        reject(
          new Error(
            `prbox ${role} ended (${String(child.signalCode ?? child.exitCode)}) before writing ${String(pattern)}:\n${text.slice(-4000)}`,
          ),
        );
      });
    });
  const started = role === "server" ? /webhook server listening/ : /reconcile worker started/;
  await line(started);
  return { child, output: () => text, line, kill };
}

/** The environment every prbox process of a test shares. */
export function prboxEnv(app: AppCredentials, prefix: string, extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: "test",
    LOG_LEVEL: "debug",
    APP_ID: app.appId,
    PRIVATE_KEY: app.privateKey,
    WEBHOOK_SECRET: app.secret,
    PRBOX_REDIS_URL: inject("redisUrl"),
    PRBOX_REDIS_PREFIX: prefix,
    KUBECONFIG: testKubeconfig(),
    PRBOX_DEPLOY_TIMEOUT: "60s",
    // Every change here comes by webhook; test/pipeline/resync.suite.ts tests the resync.
    PRBOX_RESYNC_INTERVAL: "0s",
    ...extra,
  };
}

/**
 * A kubeconfig file that reaches the API server through the test's proxy (plain http on
 * loopback); removed when the test finishes, or through `cleanUp` (afterAll, in a beforeAll).
 */
export async function proxyKubeconfig(
  proxyUrl: string,
  cleanUp: (fn: () => Promise<void>) => void = onTestFinished,
): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "prbox-proxy-kubeconfig-"));
  cleanUp(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, "kubeconfig");
  const yaml = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: proxy\n  cluster:\n    server: ${proxyUrl}\n    insecure-skip-tls-verify: true`,
    "users:",
    "- name: nobody\n  user: {}",
    "contexts:",
    "- name: proxy\n  context:\n    cluster: proxy\n    user: nobody",
    "current-context: proxy",
    "",
  ].join("\n");
  await writeFile(file, yaml);
  return file;
}

/**
 * Records how long a recovery took, for bench/recovery.ts (which sets PRBOX_RECOVERY_TIMES to a
 * file and runs these tests a few times). Nothing is asserted on it: speed is the bench's business.
 */
export async function recordRecovery(scenario: string, ms: number): Promise<void> {
  const file = process.env.PRBOX_RECOVERY_TIMES;
  if (file) await appendFile(file, `${JSON.stringify({ scenario, ms })}\n`);
}

export interface PersistentRedis {
  url: string;
  port: number;
  /** The append-only file survives: the next start() reads it back. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Sends a signal (SIGSTOP, SIGCONT) without waiting for anything. */
  signal(signal: NodeJS.Signals): void;
  start(): Promise<void>;
}

/**
 * A redis-server with the persistence prbox asks for in production (docs/reliability.md): an
 * append-only file, fsync'ed as `appendfsync` says, no eviction. It can be killed and started
 * again on the same port and directory; it is stopped and its directory removed when the file's
 * tests finish (call it in a beforeAll).
 */
export async function persistentRedis(options: {
  appendfsync: "always" | "everysec";
  extraArgs?: string[];
}): Promise<PersistentRedis & { stop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "prbox-aof-redis-"));
  const port = await freePort();
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
    "yes",
    "--appendfsync",
    options.appendfsync,
    "--maxmemory-policy",
    "noeviction",
    ...(options.extraArgs ?? []),
  ];
  let child: ChildProcess | undefined;
  // PONG only once the append-only file is read back (LOADING until then).
  const up = () => pings(port);
  const redis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(process.env.REDIS_SERVER_BIN ?? "redis-server", args, { stdio: "ignore" });
      for (let i = 0; i < 200 && !(await up()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      if (!(await up())) throw new Error(`redis-server did not come up on port ${port}`);
    },
    async kill(signal: NodeJS.Signals) {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
      running.kill(signal);
      await exited;
    },
    signal(signal: NodeJS.Signals) {
      child?.kill(signal);
    },
    async stop() {
      await redis.kill("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}

export interface SentinelGroup {
  /** PRBOX_REDIS_URL for the group: redis+sentinel://…/MASTER_NAME */
  url: string;
  primary: PersistentRedis & { stop(): Promise<void> };
  replica: PersistentRedis & { stop(): Promise<void> };
  /** host:port of the master the Sentinels name now. */
  master(): Promise<string>;
  stop(): Promise<void>;
}

export const SENTINEL_MASTER = "prbox-main";

/**
 * Redis as teams run it when one machine is not enough: a primary, a replica of it, and three
 * Sentinels (quorum 2) that promote the replica half a second after the primary stops answering.
 * All on loopback; stopped and removed by stop() (call it in a beforeAll / afterAll pair).
 */
export async function sentinelGroup(): Promise<SentinelGroup> {
  const primary = await persistentRedis({ appendfsync: "everysec" });
  const replica = await persistentRedis({
    appendfsync: "everysec",
    extraArgs: ["--replicaof", "127.0.0.1", String(primary.port)],
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), "prbox-sentinel-"));
  const sentinels: { port: number; child: ChildProcess }[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const conf = path.join(dir, `sentinel-${String(i)}.conf`);
    await writeFile(
      conf,
      [
        `port ${String(port)}`,
        "bind 127.0.0.1",
        `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${String(primary.port)} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER} 500`,
        `sentinel failover-timeout ${SENTINEL_MASTER} 5000`,
        "",
      ].join("\n"),
    );
    const child = spawn(process.env.REDIS_SERVER_BIN ?? "redis-server", [conf, "--sentinel"], { stdio: "ignore" });
    sentinels.push({ port, child });
  }
  const ask = (port: number, ...args: string[]) => redisCommand(port, args);
  const master = async () =>
    (await ask(sentinels[0]?.port ?? 0, "SENTINEL", "get-master-addr-by-name", SENTINEL_MASTER)).join(":");
  // Ready when the replica is in sync and every Sentinel knows the replica and the two other Sentinels
  // (without them no majority could authorise a failover).
  const ready = async () => {
    const replication = (await ask(replica.port, "INFO", "replication")).join("\n");
    if (!replication.includes("master_link_status:up")) return false;
    for (const { port } of sentinels) {
      const known: string[] = await ask(port, "SENTINEL", "master", SENTINEL_MASTER).catch(() => []);
      const field = (name: string) => known[known.indexOf(name) + 1];
      if (field("num-slaves") !== "1" || field("num-other-sentinels") !== "2") return false;
    }
    return true;
  };
  const deadline = Date.now() + 30_000;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("the Sentinel group did not come together within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url: `redis+sentinel://${sentinels.map(({ port }) => `127.0.0.1:${String(port)}`).join(",")}/${SENTINEL_MASTER}`,
    primary,
    replica,
    master,
    async stop() {
      for (const { child } of sentinels) child.kill("SIGTERM");
      await Promise.all([primary.stop(), replica.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisClusterGroup {
  /** PRBOX_REDIS_URL for the cluster: redis+cluster://… (every node, as seeds). */
  url: string;
  /** Keys per node, for a pattern (KEYS on each). */
  keysPerNode(pattern: string): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of three masters on loopback (no replicas), the 16384 slots split between
 * them, joined with CLUSTER MEET. Stopped and removed by stop().
 */
export async function redisCluster(): Promise<RedisClusterGroup> {
  const nodes: (PersistentRedis & { stop(): Promise<void> })[] = [];
  for (let i = 0; i < 3; i++)
    nodes.push(
      await persistentRedis({
        appendfsync: "everysec",
        extraArgs: [
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          "nodes.conf",
          "--cluster-node-timeout",
          "2000",
        ],
      }),
    );
  // CLUSTER ADDSLOTS (not ADDSLOTSRANGE, which needs Redis 7): a third of the 16384 slots each.
  for (const [i, node] of nodes.entries()) {
    const slots = Array.from({ length: 16384 }, (_, slot) => slot).filter((slot) => slot % 3 === i);
    await redisCommand(node.port, ["CLUSTER", "ADDSLOTS", ...slots.map(String)]);
    if (i > 0) await redisCommand(nodes[0]?.port ?? 0, ["CLUSTER", "MEET", "127.0.0.1", String(node.port)]);
  }
  const ok = async () => {
    for (const node of nodes) {
      const info = (await redisCommand(node.port, ["CLUSTER", "INFO"])).join("\n");
      if (!info.includes("cluster_state:ok") || !info.includes("cluster_known_nodes:3")) return false;
    }
    return true;
  };
  const deadline = Date.now() + 30_000;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("the Redis Cluster did not reach cluster_state:ok within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${String(n.port)}`).join(",")}`,
    keysPerNode: (pattern) =>
      Promise.all(nodes.map(async (n) => (await redisCommand(n.port, ["KEYS", pattern])).length)),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/** One command to a Redis or Sentinel on loopback; its reply as lines (a bulk string split, an array flattened). */
async function redisCommand(port: number, args: string[]): Promise<string[]> {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    const [command = "", ...rest] = args;
    const reply = await client.call(command, ...rest);
    const flat = Array.isArray(reply) ? reply.flat(Infinity).map(String) : String(reply).split("\n");
    return flat.map((line) => line.trim()).filter(Boolean);
  } finally {
    client.disconnect();
  }
}
