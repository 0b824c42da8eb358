import { createServer } from "node:http";
import { Probot, run, Server } from "probot";
import { githubApp } from "../forges/github/app.js";
import { GitHubForge } from "../forges/github/forge.js";
import { PrboxOctokit } from "../forges/github/octokit.js";
import { GitLabForge } from "../forges/gitlab/forge.js";
import { gitlabWebhookRoute } from "../forges/gitlab/webhook.js";
import { operationalRoutes, type RouteHandler } from "../server/routes.js";
import type { Runtime } from "./runtime.js";

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
  const routes = [operational(rt), ...gitlabRoutes(rt)];
  if (!rt.github && rt.gitlab) return plainServer(rt, routes);
  if (!rt.github) {
    log.warn({}, `no GitHub App credentials: open http://${config.host}:${config.port}/probot to register prbox from app.yml, then restart`);
    const setup = await run(() => {}, { env: { ...process.env, HOST: config.host, PORT: String(config.port) }, log });
    return { stop: () => setup.stop() };
  }
  const server = new Server({
    host: config.host,
    port: config.port,
    log,
    enableStaticFiles: false,
    webhookProxy: config.github.webhookProxy ?? undefined,
    Probot: Probot.defaults({ ...rt.github, log, Octokit: PrboxOctokit }),
  });
  for (const route of routes) server.addHandler(route);
  await server.load(
    githubApp({
      intake: { store: rt.store, queue: rt.queue, policy: config.policy, log },
      forgeFor: (octokit) => new GitHubForge(octokit, { log }),
      onDelivery: (event, result) => rt.metrics.deliveries.inc({ forge: "github", event, result }),
    }),
  );
  await server.start();
  log.info({ host: config.host, port: config.port }, "webhook server listening");
  return { stop: () => server.stop() };
}

/** A GitLab-only installation: prbox's routes on a plain HTTP server, no Probot. */
async function plainServer(rt: Runtime, routes: RouteHandler[]): Promise<Stoppable> {
  const server = createServer(async (req, res) => {
    for (const route of routes) if (await route(req, res)) return;
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  });
  await new Promise<void>((resolve) => server.listen(rt.config.port, rt.config.host, resolve));
  rt.log.info({ host: rt.config.host, port: rt.config.port }, "webhook server listening (GitLab only: no GitHub App configured)");
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

/** The GitLab webhook route (/api/gitlab/webhooks), when GitLab is configured. */
function gitlabRoutes(rt: Runtime): RouteHandler[] {
  const { config, log } = rt;
  if (!rt.gitlab || !config.gitlab) return [];
  const gitlab = new GitLabForge(rt.gitlab, { log });
  return [
    gitlabWebhookRoute({
      secret: config.gitlab.webhookSecret,
      intake: { store: rt.store, queue: rt.queue, policy: config.policy, log },
      forgeFor: () => gitlab,
      isOwnNote: (userId) => gitlab.isTokenUser(userId),
      maxBodyBytes: 4 * 1024 * 1024,
      onDelivery: (event, result) => rt.metrics.deliveries.inc({ forge: "gitlab", event, result }),
    }),
  ];
}
