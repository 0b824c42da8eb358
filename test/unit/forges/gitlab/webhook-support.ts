// The GitLab webhook over real HTTP: a node:http server on 127.0.0.1 serving the route, and
// deliveries sent to it with the headers GitLab sends.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { onTestFinished } from "vitest";
import type { Policy } from "../../../../src/config/config.js";
import type { IntakeDeps } from "../../../../src/core/intake.js";
import { GitLabForge } from "../../../../src/forges/gitlab/forge.js";
import { gitlabWebhookRoute, type GitLabWebhookOptions } from "../../../../src/forges/gitlab/webhook.js";
import { silentLogger } from "../../../../src/log.js";
import type { BullReconcileQueue, RedisStateStore } from "../../../../src/queue/index.js";
import type { RouteHandler } from "../../../../src/server/routes.js";
import { HOST, testClient } from "./fixtures.js";

export const SECRET = "s3cr3t-webhook-token-for-tests";

/** Serves `route` on a free loopback port until the test ends; other paths answer 404. */
export async function serve(route: RouteHandler): Promise<string> {
  const server = createServer((req, res) => {
    void Promise.resolve(route(req, res)).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface Deliveries {
  url: string;
  /** Every (event, result) the route reported through onDelivery. */
  seen: [string, string][];
}

/** The route as src/main wires it: one adapter for every project, which knows its own user. */
export async function webhookServer(
  store: RedisStateStore,
  queue: BullReconcileQueue,
  options: { policy?: Partial<Policy>; maxBodyBytes?: number } = {},
): Promise<Deliveries> {
  const intake: IntakeDeps = {
    store,
    queue,
    policy: { requiredLabel: null, deployForks: false, ...options.policy },
    log: silentLogger,
  };
  const forge = new GitLabForge(testClient());
  const seen: [string, string][] = [];
  const routeOptions: GitLabWebhookOptions = {
    secret: SECRET,
    intake,
    forgeFor: () => forge,
    checks: forge,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    onDelivery: (event, result) => seen.push([event, result]),
  };
  return { url: `${await serve(gitlabWebhookRoute(routeOptions))}/api/gitlab/webhooks`, seen };
}

export interface Delivery {
  event: string;
  body: unknown;
  /** The X-Gitlab-Token header; null sends none. Default: the right secret. */
  token?: string | null;
  /** The Idempotency-Key header; null sends none. Default: a fresh UUID. */
  key?: string | null;
  /** The X-Gitlab-Event-UUID header; null sends none. Default: a fresh UUID. */
  eventUuid?: string | null;
}

/** POSTs one delivery the way GitLab does; a string body is sent as it is (for broken JSON). */
export async function deliver(url: string, delivery: Delivery): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitLab/18.5.1",
    "x-gitlab-event": delivery.event,
    "x-gitlab-instance": HOST,
    "x-gitlab-webhook-uuid": "2bb7ab0a-6a9e-4b5c-8a47-3f6b4f1e2d10",
  };
  const optional = {
    "x-gitlab-token": delivery.token === undefined ? SECRET : delivery.token,
    "idempotency-key": delivery.key === undefined ? randomUUID() : delivery.key,
    "x-gitlab-event-uuid": delivery.eventUuid === undefined ? randomUUID() : delivery.eventUuid,
  };
  for (const [name, value] of Object.entries(optional)) if (value !== null) headers[name] = value;
  const body = typeof delivery.body === "string" ? delivery.body : JSON.stringify(delivery.body);
  const response = await fetch(url, { method: "POST", headers, body });
  return { status: response.status, text: (await response.text()).trim() };
}
