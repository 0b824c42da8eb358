import Bottleneck from "bottleneck";
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
  throttle?: { enabled?: boolean; id?: string; onRateLimit?: RateLimitHandler; write?: Bottleneck.Group };
  retry?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Probot's handler (retry up to three times), for resets within MAX_RATE_LIMIT_WAIT_IN_PLACE_S only. */
function shortWaitsOnly(handler: RateLimitHandler | undefined): RateLimitHandler {
  return (retryAfter, ...rest) =>
    retryAfter <= MAX_RATE_LIMIT_WAIT_IN_PLACE_S && (handler?.(retryAfter, ...rest) ?? false);
}

/**
 * How many writes of one installation go out at once before the one-a-second pace starts.
 * Octokit's default spaces every write a second apart: a deploy's writes (the sticky comment, the
 * commit status, the deployment and its statuses: about seven) then took seven seconds, and
 * "ready" reached the PR seconds after the environment was (bench/preview.ts). GitHub's documented
 * secondary limit is 80 content-generating requests a minute, with "about one a second" asked of
 * clients that make many: a token bucket keeps both, one request at a time, sustained one a second.
 */
export const WRITE_BURST = 8;

/**
 * The writes of each installation (the group's key is the throttle id): WRITE_BURST tokens, one
 * back each second. An installation idle for two minutes starts again with a full bucket.
 */
export function writeBuckets(): Bottleneck.Group {
  return new Bottleneck.Group({
    maxConcurrent: 1,
    reservoir: WRITE_BURST,
    reservoirIncreaseAmount: 1,
    reservoirIncreaseInterval: 1000,
    reservoirIncreaseMaximum: WRITE_BURST,
    timeout: 2 * 60_000,
  });
}

const WRITES = writeBuckets();

/**
 * The throttling plugin keeps one write queue per throttle `id`. Probot sets the id for
 * `probot.auth(installationId)` but not for a webhook's `context.octokit`, whose writes then share
 * one queue across every installation: one busy installation would slow every other one down.
 * The id is the installation, for both, and its queue is a token bucket (WRITE_BURST).
 */
function throttleFor(options: OctokitOptionsSeen): OctokitOptionsSeen["throttle"] {
  if (options.throttle?.enabled === false) return options.throttle;
  // An installation's client inherits the app client's options, its throttle id ("app") included.
  const installation = options.auth?.installationId;
  const id = installation === undefined ? (options.throttle?.id ?? "app") : String(installation);
  return { write: WRITES, ...options.throttle, id, onRateLimit: shortWaitsOnly(options.throttle?.onRateLimit) };
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
    const timeout = setTimeout(
      () => timer.abort(Object.assign(new Error(`GitHub did not answer within ${ms / 1000} s`), { code: "ETIMEDOUT" })),
      ms,
    );
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
