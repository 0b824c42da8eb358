import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";

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
