import { PrboxError, type ErrorKind } from "../../errors.js";
import {
  ForgeError,
  guarded,
  isUnreachable,
  unreachableReason,
  type ForgeErrorOptions,
  type StatusWords,
} from "../forge-errors.js";

export { statusOf, type StatusWords } from "../forge-errors.js";

/** A failed GitHub call; its message and hint never carry a GitHub token. */
export class GitHubError extends ForgeError {
  constructor(message: string, options: ForgeErrorOptions = {}) {
    super(message, options, redact);
  }
}

/** What prbox reads of Octokit's RequestError (matched by shape: @octokit/request-error is not a direct dependency). */
interface OctokitFailure extends Error {
  status: number;
  request?: { url?: string };
  response?: { url?: string; headers: Record<string, unknown>; data?: unknown };
}

function isOctokitFailure(error: unknown): error is OctokitFailure {
  return error instanceof Error && typeof (error as { status?: unknown }).status === "number";
}

/** Installation tokens, JWT-ish bearer values and `?token=` query parameters (codeload links). */
const SECRETS: [RegExp, string][] = [
  [/\bgh[opsur]_[A-Za-z0-9_]{16,}/g, "[redacted]"],
  [/\bv1\.[0-9a-f]{40}\b/g, "[redacted]"],
  [/([?&](?:token|access_token|jwt)=)[^&#\s]+/gi, "$1[redacted]"],
  [/\b(token|bearer)\s+(?!\[)[A-Za-z0-9._~+/-]{8,}=*/gi, "$1 [redacted]"],
];

export function redact(text: string): string {
  return SECRETS.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text);
}

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return value === undefined || value === null ? undefined : String(value);
}

/** GitHub's own words: `message`, plus the first validation error's detail on a 422. */
function githubMessage(data: unknown): string | undefined {
  if (typeof data === "string") return data.trim().slice(0, 200) || undefined;
  if (typeof data !== "object" || data === null) return undefined;
  const { message, errors } = data as { message?: unknown; errors?: unknown };
  if (typeof message !== "string") return undefined;
  const first = Array.isArray(errors)
    ? (errors[0] as { message?: unknown; code?: unknown; field?: unknown } | undefined)
    : undefined;
  const detail =
    typeof first?.message === "string"
      ? first.message
      : [first?.field, first?.code].filter((x) => typeof x === "string").join(" ");
  return detail ? `${message} (${detail})` : message;
}

/** How long GitHub asked prbox to wait: `retry-after` (seconds or a date), else the rate-limit reset. */
export function retryAfter(headers: Record<string, unknown> | undefined, now = Date.now()): number | undefined {
  const after = header(headers, "retry-after");
  if (after !== undefined) {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  if (header(headers, "x-ratelimit-remaining") === "0") {
    const reset = Number(header(headers, "x-ratelimit-reset"));
    if (Number.isFinite(reset)) return Math.max(0, reset * 1000 - now);
  }
  return undefined;
}

/**
 * GitHub's rate limits: 429, and 403 with `x-ratelimit-remaining: 0` (primary) or a secondary
 * limit, which GitHub marks only with `retry-after` or in the message (as Octokit's throttling
 * plugin detects it).
 */
function isRateLimited(
  status: number,
  headers: Record<string, unknown> | undefined,
  message: string | undefined,
): boolean {
  if (status === 429) return true;
  if (status !== 403) return false;
  if (header(headers, "x-ratelimit-remaining") === "0" || header(headers, "retry-after") !== undefined) return true;
  return /secondary rate limit/i.test(message ?? "");
}

function kindFor(status: number, rateLimited: boolean): ErrorKind {
  return status >= 500 || rateLimited || status === 408 ? "transient" : "permanent";
}

function hintFor(status: number, rateLimited: boolean): string | undefined {
  if (rateLimited) return "GitHub rate-limits the app; prbox tries again after the time GitHub asked for";
  if (status >= 500) return "GitHub is having trouble; prbox tries again";
  if (status === 401) return "GitHub refused the app's credentials: check APP_ID and PRIVATE_KEY";
  if (status === 403)
    return "the GitHub App lacks a permission for this: compare its permissions with app.yml and accept them on the installation";
  return undefined;
}

/** The error for an HTTP answer, from Octokit or from a plain fetch (codeload). */
export function errorForStatus(
  what: string,
  answer: { status: number; headers?: Record<string, unknown>; data?: unknown },
  words: StatusWords = {},
  cause?: unknown,
): GitHubError {
  const message = githubMessage(answer.data);
  const rateLimited = isRateLimited(answer.status, answer.headers, message);
  const said =
    answer.status === 404 && words.notFound
      ? `${words.notFound} (GitHub answered 404)`
      : `GitHub answered ${answer.status}${message ? `: ${message}` : ""}`;
  const wait = retryAfter(answer.headers);
  return new GitHubError(`${what}: ${said}`, {
    kind: kindFor(answer.status, rateLimited),
    hint: hintFor(answer.status, rateLimited),
    status: answer.status,
    retryAfterMs: wait ?? (rateLimited ? 60_000 : undefined),
    cause,
  });
}

/** Octokit's copy of the request keeps URLs; a codeload link carries a token in its query. */
function scrub(error: OctokitFailure): void {
  if (error.request?.url) error.request.url = redact(error.request.url);
  if (error.response?.url) error.response.url = redact(error.response.url);
  const location = header(error.response?.headers, "location");
  if (location && error.response) error.response.headers.location = redact(location);
}

/**
 * Turns what an Octokit call (or a fetch) threw into a GitHubError naming the operation, e.g.
 * "creating the commit status on acme/shop@0123456: GitHub answered 422: Validation Failed".
 * PrboxErrors pass through unchanged.
 */
export function classifyGitHubError(error: unknown, what: string, words: StatusWords = {}): PrboxError {
  if (error instanceof PrboxError) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new GitHubError(`${what}: cancelled`, { kind: "transient", cause: error });
  }
  if (isOctokitFailure(error)) {
    scrub(error);
    // Octokit reports a fetch that got no answer as status 500 without a response.
    if (error.response) return errorForStatus(what, { ...error.response, status: error.status }, words, error);
    return unreachable(what, error);
  }
  if (isUnreachable(error)) return unreachable(what, error);
  const message = error instanceof Error ? error.message : String(error);
  return new GitHubError(`${what}: ${message}`, { kind: "internal", cause: error });
}

function unreachable(what: string, error: unknown): GitHubError {
  return new GitHubError(`${what}: cannot reach GitHub (${unreachableReason(error)})`, {
    kind: "transient",
    hint: "check the network between prbox and GitHub; prbox tries again",
    cause: error,
  });
}

/** Runs one GitHub call and classifies what it throws, so call sites stay one line. */
export const github = guarded(classifyGitHubError);
