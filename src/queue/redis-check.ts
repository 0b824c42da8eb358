import type { AnyRedis } from "./redis.js";
import { PrboxError } from "../errors.js";
import type { Logger } from "../log.js";

/** What prbox needs of Redis to keep its promise that no acknowledged delivery is lost. */
export interface RedisSettings {
  /** "yes" / "no", from INFO persistence (allowed where CONFIG is not, e.g. on managed Redis). */
  appendonly: string | undefined;
  /** "always" / "everysec" / "no", from CONFIG GET; undefined when CONFIG is refused. */
  appendfsync: string | undefined;
  maxmemoryPolicy: string | undefined;
}

/** "key:value" lines of an INFO section. */
function infoField(info: string, key: string): string | undefined {
  return new RegExp(`^${key}:(.*)$`, "m").exec(info)?.[1]?.trim();
}

async function configGet(redis: AnyRedis, name: string): Promise<string | undefined> {
  try {
    const answer = (await redis.config("GET", name)) as unknown as string[];
    return answer[1];
  } catch {
    // Managed Redis (ElastiCache, Memorystore, …) often renames or forbids CONFIG.
    return undefined;
  }
}

/** Reads the settings through INFO first (widely allowed), CONFIG GET only for appendfsync. */
export async function readRedisSettings(redis: AnyRedis): Promise<RedisSettings> {
  const persistence = await redis.info("persistence");
  const memory = await redis.info("memory");
  const aof = infoField(persistence, "aof_enabled");
  return {
    appendonly: aof === undefined ? await configGet(redis, "appendonly") : aof === "1" ? "yes" : "no",
    appendfsync: await configGet(redis, "appendfsync"),
    maxmemoryPolicy: infoField(memory, "maxmemory_policy") ?? (await configGet(redis, "maxmemory-policy")),
  };
}

/** One line per setting that breaks a guarantee, each saying what to set. */
export function redisProblems(settings: RedisSettings): string[] {
  const problems: string[] = [];
  if (settings.appendonly !== "yes") {
    problems.push(
      `Redis has no append-only file (appendonly ${settings.appendonly ?? "unknown"}): a Redis restart loses queued jobs and desired states that prbox already acknowledged to GitHub/GitLab; set "appendonly yes" (and "appendfsync everysec" or "always")`,
    );
  } else if (settings.appendfsync === "no") {
    problems.push(
      `Redis writes its append-only file without fsync (appendfsync no): a machine crash loses up to ~30 s of acknowledged deliveries; set "appendfsync everysec" (≤ 1 s) or "always"`,
    );
  }
  if (settings.maxmemoryPolicy !== undefined && settings.maxmemoryPolicy !== "noeviction") {
    problems.push(
      `Redis may evict keys (maxmemory-policy ${settings.maxmemoryPolicy}): BullMQ's queue breaks when its keys are evicted; set "maxmemory-policy noeviction"`,
    );
  }
  return problems;
}

/**
 * The start-up check of PRBOX_REDIS_CHECK: "warn" logs each problem, "require" refuses to start
 * with all of them, "off" skips the check. A Redis that answers neither INFO nor CONFIG cannot be
 * checked: that is said once, and only "require" refuses.
 */
export async function checkRedisSettings(
  redis: AnyRedis,
  mode: "warn" | "require" | "off",
  log: Logger,
): Promise<void> {
  if (mode === "off") return;
  let problems: string[];
  try {
    problems = redisProblems(await readRedisSettings(redis));
  } catch (error) {
    problems = [
      `cannot read Redis's persistence settings (INFO refused: ${error instanceof Error ? error.message : String(error)}); make sure it runs with "appendonly yes" and "maxmemory-policy noeviction"`,
    ];
  }
  if (problems.length === 0) return;
  if (mode === "require") {
    throw new PrboxError(`Redis is not configured as prbox needs:\n${problems.map((p) => `  - ${p}`).join("\n")}`, {
      hint: "change the Redis configuration (redis.conf, or your provider's parameter group), or set PRBOX_REDIS_CHECK=warn to start anyway",
    });
  }
  for (const problem of problems) log.warn({ component: "redis" }, problem);
}
