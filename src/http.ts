import type { IncomingMessage, ServerResponse } from "node:http";

// What both webhook edges (GitHub, GitLab) do with a request before they look at its payload.

/** The declared body size is over the limit: refused before a byte is read. */
export function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = Number(req.headers["content-length"]);
  return Number.isFinite(declared) && declared > maxBytes;
}

/**
 * The request body, or null as soon as it grows past `maxBytes`, so the 413 goes out at once.
 * Nothing past the limit is kept, but the rest is still read and dropped: closing the connection
 * under a client that is still sending resets it, and the client would see a connection error
 * instead of the 413 (Node's request timeout bounds a body that never ends).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      chunks.length = 0;
      resolve(null);
    });
    req.once("end", () => resolve(size <= maxBytes ? Buffer.concat(chunks) : null));
    req.once("error", reject);
    // A client that goes away mid-body ends neither with "end" nor, always, with "error".
    req.once("close", () => reject(new Error("the client closed the connection before the body ended")));
  });
}

/** A short plain-text answer; GitHub and GitLab show it with the delivery. */
export function answer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(`${text}\n`);
}

/** Answers now and throws the rest of the body away (a refused request is not read). */
export function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  answer(res, status, text, headers);
  req.resume();
}

const JSON_TYPE = /^\s*application\/json\s*(?:;|$)/i;

/** The body is declared as JSON: both forges send `application/json` (GitHub can be set to send a form). */
export function declaredJson(req: IncomingMessage): boolean {
  const type = req.headers["content-type"];
  return typeof type === "string" && JSON_TYPE.test(type);
}

/** A route of prbox's HTTP server: answers and returns true, or returns false for the next one. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
