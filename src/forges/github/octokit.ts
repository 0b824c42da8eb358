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

/** How long GitHub may take to start answering a request; default of PrboxOctokit. */
export const GITHUB_ANSWER_TIMEOUT_MS = 30_000;

/**
 * fetch, failing when no answer (status and headers) arrived within `ms`. Node's fetch waits five
 * minutes for one; a job would hold its worker slot that long on a GitHub that accepted the
 * connection and went quiet. Only the wait for the answer is bounded, not reading the body (a
 * large archive may take longer). The error carries code ETIMEDOUT: "cannot reach GitHub", a
 * transient failure, and a create that timed out is looked for before it is made again (ADR 7).
 */
export function fetchWithAnswerTimeout(ms: number, inner?: typeof fetch): typeof fetch {
  return async (input, init = {}) => {
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(Object.assign(new Error(`GitHub did not answer within ${ms / 1000} s`), { code: "ETIMEDOUT" })), ms);
    const signal = init.signal ? AbortSignal.any([init.signal, timer.signal]) : timer.signal;
    try {
      // The global fetch of the moment, not of import time: test HTTP mocks replace it.
      return await (inner ?? globalThis.fetch)(input, { ...init, signal });
    } finally {
      clearTimeout(timeout);
    }
  };
}

/** Probot's Octokit with prbox's retry, per-installation throttling and answer timeout (ADR 0012). */
export const PrboxOctokit = ProbotOctokit.defaults((options: OctokitOptionsSeen) => ({
  ...options,
  request: { fetch: fetchWithAnswerTimeout(GITHUB_ANSWER_TIMEOUT_MS), ...(options.request as object | undefined) },
  retry: { doNotRetry: NOT_RETRIED_IN_PROCESS, ...options.retry },
  throttle: throttleFor(options),
}));
