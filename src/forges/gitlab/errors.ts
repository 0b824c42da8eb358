import { GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from "@gitbeaker/rest";
import { PrboxError, type ErrorKind } from "../../errors.js";
import {
  ForgeError,
  guarded,
  isUnreachable,
  unreachableReason,
  type ForgeErrorOptions,
  type StatusWords,
} from "../forge-errors.js";
import { retryAfterMs } from "./client.js";

export { statusOf, type StatusWords } from "../forge-errors.js";

/** A failed GitLab call; its message and hint never carry a GitLab token. */
export class GitLabError extends ForgeError {
  constructor(message: string, options: ForgeErrorOptions = {}) {
    super(message, options, redact);
  }
}

/**
 * GitLab's token formats (personal, project, group, OAuth, deploy, CI job, runner, feed…: all
 * `gl<kind>-…`), PRIVATE-TOKEN headers and token query parameters.
 */
const SECRETS: [RegExp, string][] = [
  [/\bgl[a-z]{2,6}-[A-Za-z0-9_.-]{16,}/g, "[redacted]"],
  [/(private[-_]token["']?\s*[:=]\s*["']?)[^\s"',}&]+/gi, "$1[redacted]"],
  [/([?&](?:private_token|access_token|token)=)[^&#\s]+/gi, "$1[redacted]"],
  [/\b(bearer)\s+(?!\[)[A-Za-z0-9._~+/-]{8,}=*/gi, "$1 [redacted]"],
];

export function redact(text: string): string {
  return SECRETS.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text);
}

function kindFor(status: number): ErrorKind {
  return status >= 500 || status === 429 || status === 408 ? "transient" : "permanent";
}

function hintFor(status: number): string | undefined {
  if (status === 429) return "GitLab rate-limits the token; prbox tries again after the time GitLab asked for";
  if (status >= 500) return "GitLab is having trouble; prbox tries again";
  if (status === 401) return "GitLab refused GITLAB_TOKEN: check that it is valid, not expired and has the api scope";
  if (status === 403)
    return "the GitLab token's user lacks a permission for this: give it the Developer role (or higher) on the project";
  return undefined;
}

/** The error for an HTTP answer, from gitbeaker or from a plain fetch (the archive). */
export function errorForStatus(
  what: string,
  answer: { status: number; retryAfter?: string | null; message?: string },
  words: StatusWords = {},
  cause?: unknown,
): GitLabError {
  const message = answer.message?.trim();
  const said =
    answer.status === 404 && words.notFound
      ? `${words.notFound} (GitLab answered 404)`
      : `GitLab answered ${answer.status}${message ? `: ${message}` : ""}`;
  const wait = retryAfterMs(answer.retryAfter);
  return new GitLabError(`${what}: ${said}`, {
    kind: kindFor(answer.status),
    hint: hintFor(answer.status),
    status: answer.status,
    retryAfterMs: wait ?? (answer.status === 429 ? 60_000 : undefined),
    cause,
  });
}

/**
 * gitbeaker's default handler keeps the Request, PRIVATE-TOKEN header and all, in the error's
 * cause; prbox's own handler (client.ts) does not, but a client built elsewhere might. Replaced
 * by its method and URL, so whoever logs or inspects the cause sees no token.
 */
function scrub(error: GitbeakerRequestError): void {
  const cause = error.cause as { request?: unknown } | undefined;
  if (cause?.request instanceof Request)
    cause.request = { method: cause.request.method, url: redact(cause.request.url) };
}

/**
 * Turns what a gitbeaker call (or a fetch) threw into a GitLabError naming the operation, e.g.
 * "creating the commit status on acme/shop@0123456: GitLab answered 403: 403 Forbidden".
 * PrboxErrors pass through unchanged.
 */
export function classifyGitLabError(error: unknown, what: string, words: StatusWords = {}): PrboxError {
  if (error instanceof PrboxError) return error;
  if (error instanceof GitbeakerRequestError && error.cause?.response) {
    scrub(error);
    const { response } = error.cause;
    return errorForStatus(
      what,
      { status: response.status, retryAfter: response.headers.get("retry-after"), message: error.message },
      words,
      error,
    );
  }
  if (error instanceof Error && error.name === "AbortError") {
    return new GitLabError(`${what}: cancelled`, { kind: "transient", cause: error });
  }
  if (error instanceof GitbeakerTimeoutError || (error instanceof Error && error.name === "TimeoutError")) {
    return new GitLabError(`${what}: GitLab did not answer in time`, { kind: "transient", cause: error });
  }
  if (error instanceof GitbeakerRetryError) {
    return new GitLabError(`${what}: ${error.message}`, { kind: "transient", hint: hintFor(503), cause: error });
  }
  if (isUnreachable(error)) return unreachable(what, error);
  const message = error instanceof Error ? error.message : String(error);
  return new GitLabError(`${what}: ${message}`, { kind: "internal", cause: error });
}

function unreachable(what: string, error: unknown): GitLabError {
  return new GitLabError(`${what}: cannot reach GitLab (${unreachableReason(error)})`, {
    kind: "transient",
    hint: "check GITLAB_URL and the network between prbox and GitLab; prbox tries again",
    cause: error,
  });
}

/** Runs one GitLab call and classifies what it throws, so call sites stay one line. */
export const gitlab = guarded(classifyGitLabError);
