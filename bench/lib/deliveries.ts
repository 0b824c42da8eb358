// GitHub deliveries for load: the pull_request.synchronize example of @octokit/webhooks-examples,
// moved onto one repository and installation, with the PR number and head SHA varied per
// delivery (so de-duplication does not make the load trivial), signed like GitHub signs them.
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";

const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

const PR_MARK = 987654321;
const SHA_MARK = "f".repeat(40);

export interface DeliveryFactory {
  /** The JSON body of the next delivery and its headers, as GitHub would send them. */
  next(): { body: string; headers: Record<string, string> };
}

function synchronizeExample(): Record<string, unknown> {
  const found = examples
    .find((e) => e.name === "pull_request")
    ?.examples.find((e) => (e as { action?: string }).action === "synchronize");
  if (!found) throw new Error("@octokit/webhooks-examples has no pull_request.synchronize");
  return structuredClone(found) as unknown as Record<string, unknown>;
}

/** A template of the payload in which the PR number and the head SHA are placeholders. */
function template(installationId: number): string[] {
  const payload = synchronizeExample();
  const pr = payload.pull_request as Record<string, unknown> & { head: Record<string, unknown> };
  pr.number = PR_MARK;
  pr.head = { ...pr.head, sha: SHA_MARK };
  payload.number = PR_MARK;
  payload.after = SHA_MARK;
  payload.installation = { id: installationId, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
  return JSON.stringify(payload).split(new RegExp(`(${String(PR_MARK)}|${SHA_MARK})`));
}

/** Deliveries cycling over `prs` pull requests, each with a fresh head SHA and delivery id. */
export function deliveryFactory(secret: string, options: { prs: number; installationId: number }): DeliveryFactory {
  const parts = template(options.installationId);
  let n = 0;
  return {
    next() {
      const pr = String(1 + (n++ % options.prs));
      const sha = randomBytes(20).toString("hex");
      const body = parts.map((p) => (p === String(PR_MARK) ? pr : p === SHA_MARK ? sha : p)).join("");
      return { body, headers: signedHeaders(secret, "pull_request", body) };
    },
  };
}

/** The headers GitHub sends with a delivery: a fresh delivery id and the body's HMAC-SHA256 with the secret. */
export function signedHeaders(secret: string, event: string, body: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/5a4e8f1",
    "x-github-event": event,
    "x-github-delivery": randomUUID(),
    "x-github-hook-id": "471129223",
    "x-github-hook-installation-target-type": "integration",
    "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
  };
}
