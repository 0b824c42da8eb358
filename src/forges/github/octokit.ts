import { ProbotOctokit } from "probot";

/**
 * Answers Octokit's retry plugin leaves to prbox: its defaults, plus 429. The plugin retries
 * after 1, 4 and 9 s whatever `retry-after` says; a rate-limited call goes back to the queue
 * instead, whose next attempt waits at least as long as GitHub asked (src/queue/backoff.ts).
 */
export const NOT_RETRIED_IN_PROCESS = [400, 401, 403, 404, 410, 422, 429, 451];

/**
 * The longest primary rate-limit reset waited for within a job (seconds). A longer wait would
 * hold a worker slot that other installations' jobs could use: the call fails instead, and the
 * job's next attempt is scheduled after the reset (the same rule as GitLab's client).
 */
export const MAX_RATE_LIMIT_WAIT_IN_PLACE_S = 10;

type RateLimitHandler = (retryAfter: number, ...rest: unknown[]) => boolean | undefined | Promise<boolean | undefined>;

interface OctokitOptionsSeen {
  auth?: { installationId?: unknown };
  throttle?: { enabled?: boolean; id?: string; onRateLimit?: RateLimitHandler };
  retry?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Probot's handler (retry up to three times), for resets within MAX_RATE_LIMIT_WAIT_IN_PLACE_S only. */
function shortWaitsOnly(handler: RateLimitHandler | undefined): RateLimitHandler {
  return (retryAfter, ...rest) => retryAfter <= MAX_RATE_LIMIT_WAIT_IN_PLACE_S && (handler?.(retryAfter, ...rest) ?? false);
}

/**
 * The throttling plugin keeps one write queue (one write a second, one at a time) per throttle
 * `id`. Probot sets the id for `probot.auth(installationId)` but not for a webhook's
 * `context.octokit`, whose writes then share one queue across every installation: one busy
 * installation would slow every other one down. The id is the installation, for both.
 */
function throttleFor(options: OctokitOptionsSeen): OctokitOptionsSeen["throttle"] {
  if (options.throttle?.enabled === false) return options.throttle;
  // An installation's client inherits the app client's options, its throttle id ("app") included.
  const installation = options.auth?.installationId;
  const id = installation === undefined ? (options.throttle?.id ?? "app") : String(installation);
  return { ...options.throttle, id, onRateLimit: shortWaitsOnly(options.throttle?.onRateLimit) };
}

/** Probot's Octokit with prbox's retry and per-installation throttling (ADR 0012). */
export const PrboxOctokit = ProbotOctokit.defaults((options: OctokitOptionsSeen) => ({
  ...options,
  retry: { doNotRetry: NOT_RETRIED_IN_PROCESS, ...options.retry },
  throttle: throttleFor(options),
}));
