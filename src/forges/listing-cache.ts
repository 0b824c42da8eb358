import { createHash } from "node:crypto";

/** One page of a list as prbox last read it: the forge's ETag and what prbox kept of the items. */
export interface CachedPage<T> {
  etag: string;
  items: T[];
  /** Whether the forge said there is a next page. */
  next: boolean;
}

/**
 * Pages of the resync's lists, so the next resync asks "changed since?" (If-None-Match) and a
 * 304 costs no rate limit on GitHub. Kept in Redis, not in the worker: the resync runs on
 * whichever worker takes its lock. Only the few fields prbox reads are kept, not GitHub's JSON.
 */
export interface ListingCache {
  get<T>(key: string): Promise<CachedPage<T> | null>;
  set<T>(key: string, page: CachedPage<T>): Promise<void>;
}

interface RedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: "EX", seconds: number): Promise<unknown>;
}

/** A page not asked about for a day is dropped (a repository no longer served). */
const TTL_SECONDS = 24 * 3600;

export function redisListingCache(redis: RedisLike, prefix: string): ListingCache {
  // Hashed: a key must not carry a repository path of unbounded length (nor anything secret).
  const key = (name: string) => `${prefix}:resync:page:${createHash("sha256").update(name).digest("hex").slice(0, 32)}`;
  return {
    async get<T>(name: string) {
      const raw = await redis.get(key(name));
      return raw === null ? null : (JSON.parse(raw) as CachedPage<T>);
    },
    async set<T>(name: string, page: CachedPage<T>) {
      await redis.set(key(name), JSON.stringify(page), "EX", TTL_SECONDS);
    },
  };
}

/** A cache that keeps nothing (no conditional requests), for forges without ETags and for tests of the uncached cost. */
export const noListingCache: ListingCache = {
  get: async () => null,
  set: async () => {},
};
