import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

// `X-Gitlab-Token` is checked in constant time like every other secret prbox is shown.
export { tokenChecker } from "../../secrets.js";

function sha256(text: string | Buffer): Buffer {
  return createHash("sha256").update(text).digest();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * The delivery id intake de-duplicates by: `Idempotency-Key` (GitLab 17.4+, the same for every
 * retry of a delivery), else `X-Gitlab-Event-UUID`, else a hash of the body, so a retry of the
 * same payload is still recognised on older GitLab.
 */
export function deliveryId(req: IncomingMessage, body: Buffer): string {
  const key = header(req, "idempotency-key") ?? header(req, "x-gitlab-event-uuid");
  return `gitlab:${key ?? `sha256-${sha256(body).toString("hex")}`}`;
}

/** `X-Gitlab-Event` ("Merge Request Hook"), cut short: it is echoed in answers and logs. */
export function eventName(req: IncomingMessage): string | undefined {
  return header(req, "x-gitlab-event")?.slice(0, 64);
}

/** The declared body size is over the limit: refused before a byte is read. */
export function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = Number(req.headers["content-length"]);
  return Number.isFinite(declared) && declared > maxBytes;
}

/**
 * The request body, or null when it is larger than `maxBytes`. An oversized body is read to its
 * end but not kept, so the client still gets the 413 (a socket closed under it would show as a
 * connection error instead).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.once("end", () => resolve(size <= maxBytes ? Buffer.concat(chunks) : null));
    req.once("error", reject);
    // A client that goes away mid-body ends neither with "end" nor, always, with "error".
    req.once("close", () => reject(new Error("the client closed the connection before the body ended")));
  });
}

/** A short plain-text answer; GitLab shows it under the webhook's "Recent events". */
export function answer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(`${text}\n`);
}

/** Answers now and throws the rest of the body away (a refused request is not read). */
export function refuse(req: IncomingMessage, res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  answer(res, status, text, headers);
  req.resume();
}
