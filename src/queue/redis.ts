import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { parseRedisUrl, redactRedisUrl, RedisUrlError, type RedisTarget } from "../config/redis-url.js";
import { PrboxError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";

/**
 * "client": the webhook edge and the state store. Commands fail fast while Redis is down (no
 * offline queue, short command timeout), so the HTTP edge can answer 503 instead of hanging.
 * "worker": a BullMQ worker's template connection. Commands wait for Redis to come back, as
 * BullMQ requires (`maxRetriesPerRequest: null`).
 */
export type RedisRole = "client" | "worker";

export interface ConnectRedisOptions {
  role: RedisRole;
  log?: Logger;
  /** How long the first connection may take (ms); default 5000. */
  connectTimeoutMs?: number;
  /** "client" role: how long one command may take before it fails (ms); default 2000. */
  commandTimeoutMs?: number;
}

/** Replies in RESP2 shapes, which BullMQ and this code expect. */
type LegacyOptions = Omit<RedisOptions, "replyMapping">;

const SETUP_HINT = "start redis-server or set PRBOX_REDIS_URL";

/**
 * An ioredis client that knows where it points (without the password) and why it last lost
 * Redis, so a failed command can say "connection refused" instead of "Stream isn't writeable".
 */
export class PrboxRedis extends Redis {
  /** The URL with its password removed: safe for logs and error messages. */
  readonly location: string;
  lastError: Error | undefined = undefined;

  constructor(target: RedisTarget & { mode: "standalone" | "sentinel" }, options: LegacyOptions, location: string) {
    if (target.mode === "standalone") super(target.url, options);
    else super({ ...options, ...sentinelOptions(target) });
    this.location = location;
  }
}

/**
 * A Redis Cluster through its seed nodes. Every prbox key and BullMQ's carry the hash-tagged
 * prefix (`{prbox}`), so they live in one slot and the Lua scripts that touch several keys run
 * on one node (ADR 23).
 */
export class PrboxCluster extends Cluster {
  readonly location: string;
  lastError: Error | undefined = undefined;

  constructor(target: RedisTarget & { mode: "cluster" }, options: LegacyOptions, location: string) {
    super(target.nodes, clusterOptions(target, options));
    this.location = location;
  }
}

/** What connectRedis gives: one Redis (or the master Sentinel names), or a Redis Cluster. */
export type RedisConnection = PrboxRedis | PrboxCluster;
/** What the queue and the store accept: any ioredis client, prbox's or a test's own. */
export type AnyRedis = Redis | Cluster;

function clusterOptions(
  target: RedisTarget & { mode: "cluster" },
  options: LegacyOptions,
): Omit<ClusterOptions, "redisOptions"> & { redisOptions: LegacyOptions } {
  const { enableOfflineQueue, ...node } = options;
  return {
    enableOfflineQueue: enableOfflineQueue ?? true,
    redisOptions: {
      ...node,
      username: target.username,
      password: target.password,
      ...(target.tls ? { tls: {} } : {}),
    },
  };
}

export { redactRedisUrl };

/**
 * ioredis asks the Sentinels for the current master, connects to it, and asks again after it is
 * lost: a failover is a short outage of the master, seen as any other (docs/reliability.md).
 */
function sentinelOptions(target: RedisTarget & { mode: "sentinel" }): LegacyOptions {
  return {
    sentinels: target.sentinels,
    name: target.name,
    role: "master",
    db: target.db,
    username: target.username,
    password: target.password,
    sentinelUsername: target.sentinelUsername,
    sentinelPassword: target.sentinelPassword,
    // Subscribe to +switch-master, so a failover is followed at once rather than on the next error.
    failoverDetector: true,
    ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
  };
}

function optionsFor(options: ConnectRedisOptions): LegacyOptions {
  const common: LegacyOptions = {
    connectTimeout: options.connectTimeoutMs ?? 5000,
    connectionName: `prbox-${options.role}`,
  };
  if (options.role === "worker") return { ...common, maxRetriesPerRequest: null };
  return {
    ...common,
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    maxRetriesPerRequest: 1,
  };
}

function targetOf(url: string): RedisTarget {
  try {
    return parseRedisUrl(url);
  } catch (error) {
    if (!(error instanceof RedisUrlError)) throw error;
    throw new PrboxError(`the Redis URL is not usable: ${error.message}`, {
      kind: "permanent",
      hint: "set PRBOX_REDIS_URL to redis://[user:password@]host:port[/db] (docs/operations.md shows Sentinel's form)",
    });
  }
}

/** Logs the loss of the connection and its recovery once each, not every reconnect attempt. */
function watchConnection(redis: RedisConnection, log: Logger): void {
  let state: "connecting" | "up" | "down" = "connecting";
  redis.on("error", (error: Error) => {
    redis.lastError = error;
  });
  // "reconnecting", not "close": a close we asked for (quit) is not an outage.
  redis.on("reconnecting", () => {
    if (state !== "up") return;
    state = "down";
    const reason = redis.lastError ? reasonOf(redis.lastError) : "connection closed";
    log.warn({ redis: redis.location, reason }, "lost the connection to Redis; reconnecting");
  });
  redis.on("ready", () => {
    redis.lastError = undefined;
    if (state === "down") log.info({ redis: redis.location }, "connection to Redis restored");
    state = "up";
  });
}

function firstReady(redis: AnyRedis): Promise<void> {
  return new Promise((resolve, reject) => {
    const onReady = () => {
      redis.off("error", onError);
      resolve();
    };
    const onError = (error: Error) => {
      redis.off("ready", onReady);
      reject(error);
    };
    redis.once("ready", onReady);
    redis.once("error", onError);
  });
}

/**
 * Connects to Redis and waits until it answers. Fails fast, with one line that says what to do,
 * when nothing answers at `url`; after that the client reconnects on its own.
 */
export async function connectRedis(url: string, options: ConnectRedisOptions): Promise<RedisConnection> {
  const target = targetOf(url);
  const log = (options.log ?? silentLogger).child({ component: "redis", role: options.role });
  const redis =
    target.mode === "cluster"
      ? new PrboxCluster(target, optionsFor(options), redactRedisUrl(url))
      : new PrboxRedis(target, optionsFor(options), redactRedisUrl(url));
  const ready = firstReady(redis);
  watchConnection(redis, log);
  try {
    await ready;
  } catch (error) {
    redis.disconnect();
    throw redisFailure(redis, error);
  }
  log.debug({ redis: redis.location }, "connected to Redis");
  return redis;
}

/** Short words for the socket errors people meet when Redis is not where they said. */
const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found (DNS lookup failed)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPIPE: "connection closed",
};

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && SOCKET_REASONS[code]) return SOCKET_REASONS[code];
  return error instanceof Error ? error.message : String(error);
}

/** Redis error replies start with an upper-case code word (WRONGPASS, NOAUTH, …). */
function replyCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== "ReplyError") return undefined;
  return /^[A-Z]+/.exec(error.message)?.[0];
}

export function locationOf(redis: AnyRedis): string {
  if (redis instanceof PrboxRedis || redis instanceof PrboxCluster) return redis.location;
  if (redis instanceof Cluster) return "a Redis Cluster";
  const { host, port, db, tls } = redis.options;
  return `${tls ? "rediss" : "redis"}://${host ?? "127.0.0.1"}:${String(port ?? 6379)}${db ? `/${String(db)}` : ""}`;
}

/**
 * Turns whatever a Redis call threw into one clear PrboxError ("transient": Redis may come back).
 * While the client is not connected, the reason is the connection's last error, not the
 * command's "Stream isn't writeable".
 */
export function redisFailure(redis: AnyRedis, error: unknown): PrboxError {
  if (error instanceof PrboxError) return error;
  const where = locationOf(redis);
  const code = replyCode(error);
  if (code === "WRONGPASS" || code === "NOAUTH") {
    return new PrboxError(
      `Redis at ${where} refused the credentials (${code}); check the user and password in PRBOX_REDIS_URL`,
      {
        kind: "permanent",
        cause: error,
      },
    );
  }
  const connected = redis.status === "ready";
  const lastError = redis instanceof PrboxRedis || redis instanceof PrboxCluster ? redis.lastError : undefined;
  if (!connected) {
    // The command's own error ("Stream isn't writeable…") says nothing useful; the socket's does.
    const reason = lastError ? reasonOf(lastError) : "connection closed";
    return new PrboxError(`cannot reach Redis at ${where}: ${reason}; ${SETUP_HINT}`, {
      kind: "transient",
      cause: error,
    });
  }
  return new PrboxError(`Redis at ${where} failed: ${reasonOf(error)}`, { kind: "transient", cause: error });
}
