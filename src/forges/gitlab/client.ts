// The one GitLab API client of a prbox process. GitLab has no per-installation tokens: every
// call is made with GITLAB_TOKEN, so the client is built once in src/main and shared.
//
// gitbeaker's own request handler retries 429 and 502 ten times within about a quarter of a
// second, POSTs included, and then throws an error that has lost the status and Retry-After.
// prbox hands it a request handler of its own instead (gitbeaker's documented `requesterFn`
// extension point): a POST is never sent twice after a 5xx (GitLab may have acted on it: a
// second sticky note), a 429's Retry-After is honoured or handed to the queue, and every failure
// reaches src/forges/gitlab/errors.ts with its status and headers.
import { setTimeout as sleep } from "node:timers/promises";
import { Gitlab } from "@gitbeaker/rest";
import {
  createRequesterFn,
  GitbeakerRequestError,
  GitbeakerTimeoutError,
  type FormattedResponse,
  type RequestOptions,
  type ResourceOptions,
  type ResponseBodyTypes,
} from "@gitbeaker/requester-utils";

export type GitLabClient = InstanceType<typeof Gitlab<false>>;

export interface GitLabClientOptions {
  /** GITLAB_URL, e.g. https://gitlab.example.com (without /api/v4). */
  url: string;
  /** GITLAB_TOKEN: a personal, group or project access token with the `api` scope. */
  token: string;
  /** Further tries of a request GitLab answered 429 (any method) or 502/503/504 (not POST); default 2. */
  retries?: number;
  /** The longest Retry-After waited for in place; a longer one fails the call (transient). Default 10 s. */
  maxRetryWaitMs?: number;
  /** First backoff between tries when GitLab gave no Retry-After, doubled per try; default 250 ms. */
  backoffMs?: number;
}

const RETRY_STATUSES = new Set([502, 503, 504]);

interface RetryPolicy {
  retries: number;
  maxRetryWaitMs: number;
  backoffMs: number;
}

export function createGitLabClient(options: GitLabClientOptions): GitLabClient {
  const policy: RetryPolicy = {
    retries: options.retries ?? 2,
    maxRetryWaitMs: options.maxRetryWaitMs ?? 10_000,
    backoffMs: options.backoffMs ?? 250,
  };
  const requesterFn = createRequesterFn(
    async (_service: ResourceOptions, requestOptions: RequestOptions) => requestOptions,
    (endpoint, requestOptions) => send(endpoint, (requestOptions ?? {}) as RequestOptions, policy),
  );
  return new Gitlab({ host: options.url.replace(/\/+$/, ""), token: options.token, requesterFn });
}

/** How long to wait before trying again, or undefined when the answer must not be retried. */
function retryDelay(method: string, response: Response, attempt: number, policy: RetryPolicy): number | undefined {
  if (attempt >= policy.retries) return undefined;
  const retryable = response.status === 429 || (method !== "POST" && RETRY_STATUSES.has(response.status));
  if (!retryable) return undefined;
  const asked = retryAfterMs(response.headers.get("retry-after"));
  if (asked === undefined) return policy.backoffMs * 2 ** attempt;
  return asked <= policy.maxRetryWaitMs ? asked : undefined;
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

async function send(endpoint: string, options: RequestOptions, policy: RetryPolicy): Promise<FormattedResponse> {
  const { prefixUrl, searchParams, method = "GET", headers, body, signal, asStream } = options;
  const url = new URL(endpoint, prefixUrl && !prefixUrl.endsWith("/") ? `${prefixUrl}/` : prefixUrl);
  url.search = searchParams ?? "";
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, { method, headers, body, signal }).catch((error: unknown) => {
      if (error instanceof Error && error.name === "TimeoutError") {
        throw new GitbeakerTimeoutError("Query timeout was reached", { cause: error });
      }
      throw error;
    });
    if (response.ok) return parse(response, asStream === true);
    const wait = retryDelay(method, response, attempt, policy);
    if (wait === undefined) throw await failure(method, url, response);
    await response.body?.cancel().catch(() => {});
    await sleep(wait);
  }
}

async function parse(response: Response, asStream: boolean): Promise<FormattedResponse> {
  const headers = Object.fromEntries(response.headers.entries());
  if (asStream) return { body: response.body as ResponseBodyTypes, headers, status: response.status };
  if (response.status === 204) return { body: null, headers, status: response.status };
  const type = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  let body: ResponseBodyTypes;
  if (type === "application/json") body = ((await response.json()) as ResponseBodyTypes) || {};
  else if (type.startsWith("text/")) body = await response.text();
  else body = await response.blob();
  return { body, headers, status: response.status };
}

/**
 * The error gitbeaker's callers expect, with GitLab's own words as its message. The request in
 * its cause is a plain `{ method, url }`: the real Request carries the PRIVATE-TOKEN header, and
 * util.inspect or a logger walking the cause would print it.
 */
async function failure(method: string, url: URL, response: Response): Promise<GitbeakerRequestError> {
  const text = await response.text().catch(() => "");
  const description = describeBody(text, response.headers.get("content-type"));
  const request = { method, url: url.toString() } as unknown as Request;
  return new GitbeakerRequestError(description, { cause: { description, request, response } });
}

/** GitLab answers errors as `{"message": …}` or `{"error": …}` (a string, or an object of field errors). */
function describeBody(text: string, contentType: string | null): string {
  if (!contentType?.includes("application/json")) return text.trim().slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown } | null;
    const said = parsed?.message ?? parsed?.error ?? "";
    return typeof said === "string" ? said : JSON.stringify(said);
  } catch {
    return text.trim().slice(0, 300);
  }
}
