import { ApiException } from "@kubernetes/client-node";
import { ClusterError, networkCode, PrboxError, type ErrorKind } from "../errors.js";

/** The part of a Kubernetes Status body prbox reads. */
interface StatusBody {
  message?: string;
  reason?: string;
}

/** The HTTP status of a failed API call, or undefined when the call never got an answer. */
export function apiStatus(error: unknown): number | undefined {
  return error instanceof ApiException ? (error as ApiException<unknown>).code : undefined;
}

export function isNotFound(error: unknown): boolean {
  return apiStatus(error) === 404;
}

/** The API server's own explanation: the Status `message` of the raw JSON body. */
export function statusMessage(error: ApiException<unknown>): string {
  const body = error.body;
  const text = typeof body === "string" ? body : JSON.stringify(body ?? "");
  try {
    const status = JSON.parse(text) as StatusBody;
    if (status.message) return status.message;
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): fall back to the raw text.
  }
  const trimmed = text.trim().slice(0, 300);
  return trimmed === "" || trimmed === '""' ? `HTTP ${error.code}` : `HTTP ${error.code}: ${trimmed}`;
}

/**
 * 409 (conflict, or a namespace still terminating), 429 (throttled) and 5xx
 * mean the world was busy: retrying helps. Everything else in 4xx means the
 * request itself is wrong (invalid, forbidden, unknown): retrying cannot help.
 */
function kindForStatus(code: number): ErrorKind {
  if (code === 408 || code === 409 || code === 410 || code === 429 || code >= 500) return "transient";
  return "permanent";
}

/**
 * The API server's Retry-After on a 429 (API priority and fairness) or 503, in ms; the queue
 * waits at least that long (src/queue/backoff.ts), as it does for the forges. Only the
 * delta-seconds form: the API server sends no dates.
 */
function retryAfterMs(error: ApiException<unknown>): number | undefined {
  if (error.code !== 429 && error.code !== 503) return undefined;
  const header = Object.entries(error.headers ?? {}).find(([name]) => name.toLowerCase() === "retry-after")?.[1];
  const seconds = Number(header);
  return header !== undefined && header.trim() !== "" && Number.isFinite(seconds) && seconds >= 0
    ? seconds * 1000
    : undefined;
}

function hintForStatus(code: number): string | undefined {
  if (code === 401) return "check the credentials in the kubeconfig prbox uses (KUBECONFIG)";
  if (code === 403) return "grant prbox's service account or user the RBAC permission named above";
  if (code === 429 || code >= 500) return "the API server is overloaded or failing; prbox retries";
  return undefined;
}

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "DNS lookup failed",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "connection closed by the other side",
  UND_ERR_CONNECT_TIMEOUT: "connect timed out",
  UND_ERR_HEADERS_TIMEOUT: "no response in time",
  UND_ERR_BODY_TIMEOUT: "response body timed out",
  UND_ERR_CLOSED: "connection closed",
};

/** A few words on why the API could not be reached, for "cannot reach ...: <reason>". */
export function networkReason(error: unknown): string {
  const code = networkCode(error);
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  if (TLS_CODES.has(code)) return `the server's TLS certificate is not trusted (${code})`;
  return NETWORK_WORDS[code] ?? code;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

/**
 * Turns whatever a client-node call threw into a ClusterError that says what
 * failed (`what`, e.g. "Deployment web in pr-1") and why, in the API server's
 * words, with `kind` set so the queue knows whether a retry can help.
 * PrboxErrors pass through unchanged: they were classified where they arose.
 */
export function classifyApiError(error: unknown, what: string): PrboxError {
  if (error instanceof PrboxError) return error;
  if (error instanceof ApiException) {
    const code = (error as ApiException<unknown>).code;
    return new ClusterError(`${what}: ${statusMessage(error)}`, {
      kind: kindForStatus(code),
      hint: hintForStatus(code),
      cause: error,
      retryAfterMs: retryAfterMs(error as ApiException<unknown>),
    });
  }
  if (isAbort(error)) return new ClusterError(`${what}: cancelled`, { kind: "transient", cause: error });
  const code = networkCode(error);
  if (code !== undefined) {
    return new ClusterError(`${what}: cannot reach the Kubernetes API: ${networkReason(error)}`, {
      kind: TLS_CODES.has(code) ? "permanent" : "transient",
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ClusterError(`${what}: ${message}`, { kind: "internal", cause: error });
}

/** Runs one API call and classifies what it throws, so call sites stay one line. */
export async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw classifyApiError(error, what);
  }
}
