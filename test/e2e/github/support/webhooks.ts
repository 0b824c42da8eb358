// Webhook deliveries as GitHub sends them: the real example payloads of
// @octokit/webhooks-examples moved onto the fake's repository and PR, signed with the app's
// secret and POSTed over HTTP to the running server.
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import { labelJson, type FakeComment, type FakeRepository } from "../../../support/fake-github.js";

const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

type Json = Record<string, unknown>;

function example(event: string, action: string): Json {
  const found = examples
    .find((e) => e.name === event)
    ?.examples.find((e) => (e as { action?: string }).action === action);
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${event}.${action}`);
  return structuredClone(found) as unknown as Json;
}

export interface Delivery {
  event: "pull_request" | "issue_comment";
  payload: Json;
}

/** `pull_request.<action>` for the PR as the fake has it now. */
export function pullRequestDelivery(
  repo: FakeRepository,
  number: number,
  action: "opened" | "synchronize" | "closed" | "reopened" | "labeled" | "unlabeled" | "ready_for_review",
  /** The label a labeled or unlabeled delivery is about. */
  label?: string,
): Delivery {
  const payload = example("pull_request", action);
  const pr = repo.pullRequestJson(number);
  const head = pr.head as { sha: string };
  const extra = action === "synchronize" ? { before: "0000000000000000000000000000000000000000", after: head.sha } : {};
  return {
    event: "pull_request",
    payload: {
      ...payload,
      ...extra,
      ...(label === undefined ? {} : { label: labelJson(repo.fullName, label) }),
      action,
      number,
      pull_request: pr,
      repository: repo.repositoryJson(),
      sender: pr.user,
      installation: { id: repo.installationId, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" },
    },
  };
}

/** `issue_comment.created` for a comment the fake already holds on a PR. */
export function commentDelivery(repo: FakeRepository, comment: FakeComment): Delivery {
  const payload = example("issue_comment", "created");
  const pr = repo.pullRequestJson(comment.issue);
  const issue = payload.issue as Json;
  const api = `https://api.github.com/repos/${repo.fullName}`;
  return {
    event: "issue_comment",
    payload: {
      ...payload,
      action: "created",
      issue: {
        ...issue,
        url: `${api}/issues/${comment.issue}`,
        repository_url: api,
        html_url: `https://github.com/${repo.fullName}/pull/${comment.issue}`,
        number: comment.issue,
        title: pr.title,
        user: pr.user,
        state: pr.state,
        updated_at: comment.created_at,
        pull_request: {
          url: `${api}/pulls/${comment.issue}`,
          html_url: `https://github.com/${repo.fullName}/pull/${comment.issue}`,
          diff_url: `https://github.com/${repo.fullName}/pull/${comment.issue}.diff`,
          patch_url: `https://github.com/${repo.fullName}/pull/${comment.issue}.patch`,
          merged_at: null,
        },
      },
      comment: repo.commentJson(comment),
      repository: repo.repositoryJson(),
      sender: comment.user,
      installation: { id: repo.installationId, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" },
    },
  };
}

export interface SendOptions {
  /** X-GitHub-Delivery; a fresh UUID unless a redelivery is meant. */
  id?: string;
  /** Sign with this secret instead of the app's. */
  secret?: string;
}

export interface DeliveryAnswer {
  id: string;
  status: number;
  body: string;
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** POSTs a delivery to the app's webhook URL, exactly as GitHub does. */
export async function deliver(
  url: string,
  secret: string,
  delivery: Delivery,
  options: SendOptions = {},
): Promise<DeliveryAnswer> {
  const id = options.id ?? randomUUID();
  const body = JSON.stringify(delivery.payload);
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/5a4e8f1",
      "x-github-event": delivery.event,
      "x-github-delivery": id,
      "x-github-hook-id": "471129223",
      "x-github-hook-installation-target-type": "integration",
      "x-hub-signature-256": sign(options.secret ?? secret, body),
    },
    body,
    signal: AbortSignal.timeout(20_000),
  });
  return { id, status: response.status, body: await response.text() };
}
