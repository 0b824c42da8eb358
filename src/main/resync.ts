import { randomUUID } from "node:crypto";
import { listEnvironments } from "../cluster/index.js";
import type { PullRequestLister } from "../core/listing.js";
import { resync, type ResyncResult } from "../core/resync.js";
import { GitHubLister } from "../forges/github/listing.js";
import { GitLabLister, redisProjectMemory } from "../forges/gitlab/listing.js";
import { redisListingCache } from "../forges/listing-cache.js";
import type { Runtime } from "./runtime.js";

/** The forges this process serves, as the resync lists them. */
export function listersFor(rt: Runtime): PullRequestLister[] {
  const { config, log, redis } = rt;
  const listers: PullRequestLister[] = [];
  if (rt.probot) listers.push(new GitHubLister(rt.probot, redisListingCache(redis, config.redisPrefix), log));
  if (rt.gitlab)
    listers.push(
      new GitLabLister(rt.gitlab, redisProjectMemory(redis, config.redisPrefix), config.resync.gitlabProjects, log),
    );
  return listers;
}

// Deletes the lock only if it is still this run's (it may have expired and been taken since).
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;

/**
 * Runs the resync once, unless another worker is resyncing right now (a Redis lock, released at
 * the end; it expires by itself if its worker dies). `periodic` runs are also skipped when any
 * worker finished one less than most of an interval ago: several workers share one schedule.
 * A start-up run is never skipped for that: a restarted prbox catches up at once.
 */
export async function resyncOnce(rt: Runtime, options: { periodic: boolean }): Promise<ResyncResult | null> {
  const { config, log, redis } = rt;
  const lockKey = `${config.redisPrefix}:resync-lock`;
  const lastKey = `${config.redisPrefix}:resync-last`;
  if (options.periodic) {
    const last = Number(await redis.get(lastKey));
    if (Number.isFinite(last) && Date.now() - last < config.resync.intervalMs * 0.9) return null;
  }
  const token = `${process.pid}:${randomUUID()}`;
  const lock = await redis.set(lockKey, token, "PX", Math.max(60_000, config.resync.intervalMs), "NX");
  if (lock !== "OK") return null;
  try {
    const result = await resync({
      store: rt.store,
      queue: rt.queue,
      forges: rt.forges,
      listers: listersFor(rt),
      policy: config.policy,
      log: log.child({ component: "resync" }),
      records: async () => listEnvironments(await rt.cluster()),
    });
    await redis.set(lastKey, String(Date.now()));
    return result;
  } finally {
    await redis.eval(RELEASE, 1, lockKey, token);
  }
}

/** The resync at start-up and every PRBOX_RESYNC_INTERVAL (0: never); `stop` waits for a run in progress. */
export function startResync(rt: Runtime): { stop(): Promise<void> } {
  if (rt.config.resync.intervalMs === 0) {
    rt.log.info("the resync is off (PRBOX_RESYNC_INTERVAL=0s): missed webhooks are only caught by the sweep");
    return { stop: async () => {} };
  }
  let running: Promise<unknown> = Promise.resolve();
  const run = (periodic: boolean) => {
    running = running.then(() =>
      resyncOnce(rt, { periodic }).catch((error: unknown) => {
        rt.log.warn({ err: error }, "the resync failed; it runs again at the next interval");
      }),
    );
  };
  run(false);
  const timer = setInterval(() => run(true), rt.config.resync.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
