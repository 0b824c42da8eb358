import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { Probot, run, Server } from "probot";
import { PrboxError } from "../errors.js";
import { githubApp } from "../forges/github/app.js";
import { listEnvironments, sleepingHosts } from "../cluster/index.js";
import { wakeOnVisit } from "../core/sleep.js";
import { GITHUB_MAX_BODY_BYTES, githubWebhookGuard } from "../forges/github/webhook-guard.js";
import { GitHubForge, webUrlFor } from "../forges/github/forge.js";
import { PrboxOctokit } from "../forges/github/octokit.js";
import { GitLabForge } from "../forges/gitlab/forge.js";
import { gitlabWebhookRoute } from "../forges/gitlab/webhook.js";
import { environmentsRoute } from "../server/environments-route.js";
import { operationalRoutes, type RouteHandler } from "../server/routes.js";
import { wakingRoute } from "../server/waking-route.js";
import type { Runtime } from "./runtime.js";

/** What Probot verifies signatures with when WEBHOOK_SECRET is unset (refused in production by loadConfig). */
const PROBOT_DEFAULT_SECRET = "development";

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The webhook server: Probot's (signature verification, /api/github/webhooks) with prbox's
 * operational routes. Without GitHub App credentials outside production it runs Probot's setup
 * flow instead, which registers the app from app.yml at /probot.
 */
export async function startServer(rt: Runtime): Promise<Stoppable> {
  const { config, log } = rt;
  if (!rt.github && !rt.gitlab) {
    log.warn(
      {},
      `no GitHub App credentials: open http://${config.host}:${config.port}/probot to register prbox from app.yml, then restart`,
    );
    const setup = await run(() => {}, { env: { ...process.env, HOST: config.host, PORT: String(config.port) }, log });
    return { stop: () => setup.stop() };
  }
  const routes = [...wakingRoutes(rt), operational(rt), environmentsPage(rt), ...gitlabRoutes(rt)];
  if (!rt.github) return plainServer(rt, routes, "webhook server listening (GitLab only: no GitHub App configured)");
  const server = new Server({
    host: config.host,
    port: config.port,
    log,
    enableStaticFiles: false,
    webhookProxy: config.github.webhookProxy ?? undefined,
    Probot: Probot.defaults({ ...rt.github, log, Octokit: PrboxOctokit }),
  });
  for (const route of routes) server.addHandler(route);
  const githubBot = rt.githubBot;
  if (!githubBot)
    throw new PrboxError("bug: the GitHub App is configured but its bot account is not", { kind: "internal" });
  await server.load(
    githubApp({
      intake: { store: rt.store, queue: rt.queue, policy: config.policy, log },
      forgeFor: (octokit) => new GitHubForge(octokit, githubBot, { log }),
      onDelivery: (event, result) => rt.metrics.deliveries.inc({ forge: "github", event, result }),
    }),
  );
  guardFirst(
    await server.start(),
    githubWebhookGuard({ secret: rt.github.secret ?? PROBOT_DEFAULT_SECRET, maxBodyBytes: GITHUB_MAX_BODY_BYTES, log }),
    log,
  );
  log.info({ host: config.host, port: config.port }, "webhook server listening");
  return { stop: () => server.stop() };
}

/**
 * Puts `guard` in front of Probot's own request handling, whose webhook middleware always runs
 * first (src/forges/github/webhook-guard.ts says why prbox needs to go before it). Probot sees a
 * request only when the guard did not answer it.
 */
function guardFirst(http: HttpServer, guard: RouteHandler, log: Runtime["log"]): void {
  const probot = http.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
  http.removeAllListeners("request");
  http.on("request", (req: IncomingMessage, res: ServerResponse) => {
    Promise.resolve(guard(req, res)).then(
      (answered) => {
        if (!answered) for (const listener of probot) listener.call(http, req, res);
      },
      (error: unknown) => {
        log.error({ err: error }, "bug: the webhook guard failed");
        if (!res.headersSent) res.writeHead(500).end();
      },
    );
  });
}

/**
 * `prbox worker` alone: /healthz, /readyz and /metrics on PORT, so that an orchestrator can probe
 * the worker and Prometheus can scrape the job metrics, which only the worker process records.
 */
export function startOperationalServer(rt: Runtime): Promise<Stoppable> {
  return plainServer(rt, [operational(rt)], "health and metrics server listening (worker)");
}

/** prbox's routes on a plain HTTP server, no Probot: a GitLab-only installation, or the worker's health. */
async function plainServer(rt: Runtime, routes: RouteHandler[], message: string): Promise<Stoppable> {
  const server = createServer(async (req, res) => {
    for (const route of routes) if (await route(req, res)) return;
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(
              `cannot listen on ${rt.config.host}:${rt.config.port}: the port is in use; set PORT to a free one`,
            )
          : error,
      ),
    );
    server.listen(rt.config.port, rt.config.host, resolve);
  });
  rt.log.info({ host: rt.config.host, port: rt.config.port }, message);
  return { stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

function operational(rt: Runtime): RouteHandler {
  return operationalRoutes({
    metrics: rt.metrics,
    checks: [
      { name: "redis", check: async () => void (await rt.redis.ping()) },
      { name: "kubernetes", check: async () => void (await (await rt.cluster()).core.listNamespace({ limit: 1 })) },
    ],
  });
}

/** /environments and /environments.json: the live environments and the queue, behind PRBOX_PAGE_TOKEN. */
function environmentsPage(rt: Runtime): RouteHandler {
  return environmentsRoute({
    token: rt.config.pageToken,
    log: rt.log,
    sources: {
      states: () => rt.store.listStates(),
      queueCounts: () => rt.queue.queueCounts(),
      clusterRecords: async () => listEnvironments(await rt.cluster()),
      forgeWebUrls: {
        github: webUrlFor(rt.github?.baseUrl ?? "https://api.github.com"),
        gitlab: (rt.config.gitlab?.url ?? "https://gitlab.com").replace(/\/+$/, ""),
      },
    },
  });
}

/**
 * With PRBOX_WAKE_ADDRESS (which PRBOX_SLEEP_AFTER needs), the waking page (ADR 28): first, since
 * it answers by the Host header. It stays while sleep is turned off, for previews still asleep.
 */
function wakingRoutes(rt: Runtime): RouteHandler[] {
  if (!rt.config.policy.wakeAddress) return [];
  return [
    wakingRoute({
      sleepingHosts: async () => sleepingHosts(await rt.cluster()),
      wake: (envId) => wakeOnVisit(envId, { store: rt.store, queue: rt.queue, log: rt.log }),
      log: rt.log,
    }),
  ];
}

/** The GitLab webhook route (/api/gitlab/webhooks), when GitLab is configured. */
function gitlabRoutes(rt: Runtime): RouteHandler[] {
  const { config, log } = rt;
  if (!rt.gitlab || !config.gitlab) return [];
  const gitlab = new GitLabForge(rt.gitlab, { log, webUrl: config.gitlab.url });
  return [
    gitlabWebhookRoute({
      secret: config.gitlab.webhookSecret,
      intake: { store: rt.store, queue: rt.queue, policy: config.policy, log },
      forgeFor: () => gitlab,
      checks: gitlab,
      maxBodyBytes: 4 * 1024 * 1024,
      onDelivery: (event, result) => rt.metrics.deliveries.inc({ forge: "gitlab", event, result }),
    }),
  ];
}
