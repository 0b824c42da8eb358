import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../log.js";
import { answer, declaredJson, declaredTooLarge, readBody, refuse } from "../../http.js";
import type { RouteHandler } from "../../http.js";

export const GITHUB_WEBHOOK_PATH = "/api/github/webhooks";
/** GitHub does not deliver payloads over 25 MB, so nothing larger is GitHub. */
export const GITHUB_MAX_BODY_BYTES = 25 * 1024 * 1024;

export interface GitHubGuardOptions {
  /** WEBHOOK_SECRET, which GitHub signs every delivery with. */
  secret: string;
  maxBodyBytes: number;
  log: Logger;
  path?: string;
}

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

/**
 * What runs before Probot's webhook middleware (docs/adr/0007-github-adapter.md). That middleware
 * reads any body whole, however large, before it checks the signature; it answers 400 to a
 * forged signature and 500 to a signed body that is JSON but no object. The guard answers 405,
 * 415, 400, 413 (as soon as the body passes the limit) and 401 instead, and hands a verified JSON
 * object on as `req.body`, which Probot reads instead of the stream. Returns true when it answered.
 */
export function githubWebhookGuard(options: GitHubGuardOptions): RouteHandler {
  const path = options.path ?? GITHUB_WEBHOOK_PATH;
  return async (req, res) => {
    if (webhookPath(req.url) !== path) return false;
    const text = await verifiedBody(req, res, options);
    if (text === null) return true;
    (req as IncomingMessage & { body?: string }).body = text;
    return false;
  };
}

/**
 * The path as Probot's middleware reads it (trailing slashes dropped, then `.` and `..` resolved),
 * so no spelling of the webhook URL reaches Probot around the guard.
 */
function webhookPath(url = "/"): string | null {
  try {
    return new URL(url.replace(/\/+$/, "") || "/", "http://localhost").pathname;
  } catch {
    return null; // Probot answers 422 without reading the body
  }
}

/** The body of a delivery that passed every check, or null when the delivery was answered. */
async function verifiedBody(
  req: IncomingMessage,
  res: ServerResponse,
  options: GitHubGuardOptions,
): Promise<string | null> {
  const refusal = headerProblem(req, options.maxBodyBytes);
  if (refusal) {
    refuse(req, res, refusal.status, refusal.text, refusal.headers);
    return null;
  }
  const body = await readBody(req, options.maxBodyBytes).catch(() => undefined);
  if (body === undefined) return null; // the client went away
  if (body === null) {
    answer(res, 413, tooLarge(options.maxBodyBytes));
    return null;
  }
  if (!signedBy(options.secret, body, req.headers["x-hub-signature-256"])) {
    options.log.warn(
      { forge: "github", delivery: req.headers["x-github-delivery"] },
      "refused a GitHub webhook delivery: its signature does not match WEBHOOK_SECRET",
    );
    answer(
      res,
      401,
      "signature does not match the payload and the webhook secret (X-Hub-Signature-256 must be sha256=<64 hex digits>)",
    );
    return null;
  }
  const text = body.toString("utf8");
  const problem = payloadProblem(text);
  if (problem === null) return text;
  answer(res, 400, problem);
  return null;
}

function signedBy(secret: string, body: Buffer, signature: string | string[] | undefined): boolean {
  if (typeof signature !== "string" || !SIGNATURE.test(signature)) return false;
  const expected = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  return timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

function headerProblem(
  req: IncomingMessage,
  maxBodyBytes: number,
): { status: number; text: string; headers?: Record<string, string> } | null {
  if (req.method !== "POST") return { status: 405, text: "only POST is accepted here", headers: { allow: "POST" } };
  if (!declaredJson(req))
    return {
      status: 415,
      text: "the body must be application/json: set the webhook's content type to application/json",
    };
  const missing = ["x-github-event", "x-github-delivery"].filter((name) => typeof req.headers[name] !== "string");
  if (missing.length > 0) return { status: 400, text: `required headers missing: ${missing.join(", ")}` };
  if (declaredTooLarge(req, maxBodyBytes)) return { status: 413, text: tooLarge(maxBodyBytes) };
  return null;
}

function tooLarge(maxBodyBytes: number): string {
  return `the body is larger than ${maxBodyBytes} bytes (GitHub sends at most 25 MB)`;
}

/**
 * What Probot itself needs of a payload before any of prbox's handlers runs: an object, and an
 * installation id it can authenticate as (else @octokit/auth-app throws and Probot answers 500).
 * The fields prbox reads are checked by each handler (payloads.ts).
 */
function payloadProblem(text: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "the body is not JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "the body is not a JSON object";
  const installation = (value as { installation?: unknown }).installation;
  if (installation === undefined || installation === null) return null;
  const id = (installation as { id?: unknown }).id;
  return Number.isSafeInteger(id) && (id as number) > 0 ? null : "installation.id must be a positive whole number";
}
