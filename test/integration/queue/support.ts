// Shared pieces of the queue tests: a real Redis (test/setup/redis.ts), a fresh key and queue
// prefix per test, and cleanup that leaves nothing behind. Nothing here stubs Redis or BullMQ.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { inject, onTestFinished } from "vitest";
import type { DesiredState } from "../../../src/core/desired.js";
import {
  connectRedis,
  type AnyRedis,
  createReconcileQueue,
  RedisStateStore,
  startReconcileWorker,
  type BullReconcileQueue,
  type ReconcileQueueOptions,
  type ReconcileWorker,
  type ReconcileWorkerOptions,
} from "../../../src/queue/index.js";

export function testRedisUrl(): string {
  const url = inject("redisUrl") as string | undefined;
  if (!url)
    throw new Error("no test Redis: wire test/setup/redis.ts as vitest globalSetup, or set PRBOX_TEST_REDIS_URL");
  return url;
}

/** A fresh prefix, so no two tests share a key or a queue. */
export function uniquePrefix(): string {
  return `prbox-test-${randomBytes(5).toString("hex")}`;
}

/** Polls until `check` holds; fails the test with `what` when it does not within `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/** A promise the test resolves when it wants: holds a handler at a chosen point. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export function desiredState(envId: string, overrides: Partial<DesiredState> = {}): DesiredState {
  return {
    envId,
    ref: { forge: "github", repo: "acme/shop", pr: 7, target: "1" },
    branch: "feature",
    sha: "a".repeat(40),
    action: "deploy",
    waitReason: null,
    fork: false,
    closed: false,
    labels: [],
    forkApprovedSha: null,
    handledCommands: [],
    checksPassedSha: null,
    reloadRequest: 0,
    eventAt: "2026-11-22T10:00:00.000Z",
    generation: 0,
    ...overrides,
  };
}

async function deleteKeys(redis: AnyRedis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}

export interface Harness {
  prefix: string;
  /** "client" role connection shared by the store and the queue. */
  redis: AnyRedis;
  store: RedisStateStore;
  queue: BullReconcileQueue;
  /** Starts a worker on its own "worker" role connection; closed with the test. */
  worker(options: Omit<ReconcileWorkerOptions, "connection" | "prefix">): Promise<ReconcileWorker>;
  /** Another client connection and store on the same prefix, as a second server would have. */
  anotherStore(): Promise<RedisStateStore>;
}

/**
 * Everything one test needs, on a fresh prefix. When the test finishes: workers closed, the
 * queue obliterated, every key under the prefix deleted, every connection closed.
 */
export async function harness(
  queueOptions: Omit<ReconcileQueueOptions, "connection" | "prefix"> = {},
): Promise<Harness> {
  const url = testRedisUrl();
  const prefix = uniquePrefix();
  const redis = await connectRedis(url, { role: "client" });
  const connections: AnyRedis[] = [redis];
  const workers: ReconcileWorker[] = [];
  const queue = createReconcileQueue({ connection: redis, prefix, backoffMs: 10, ...queueOptions });

  onTestFinished(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await queue.bull.obliterate({ force: true });
    await queue.close();
    await deleteKeys(redis, prefix);
    await Promise.all(connections.map((c) => c.quit()));
  });

  return {
    prefix,
    redis,
    store: new RedisStateStore(redis, { prefix }),
    queue,
    async worker(options) {
      const connection = await connectRedis(url, { role: "worker" });
      connections.push(connection);
      const worker = await startReconcileWorker({ connection, prefix, ...options });
      workers.push(worker);
      return worker;
    },
    async anotherStore() {
      const connection = await connectRedis(url, { role: "client" });
      connections.push(connection);
      return new RedisStateStore(connection, { prefix });
    },
  };
}

/** The queue has nothing left to do: no job waits, runs or is scheduled. */
export async function idle(queue: BullReconcileQueue): Promise<boolean> {
  const counts = await queue.queueCounts();
  return counts.waiting === 0 && counts.active === 0 && counts.delayed === 0;
}
