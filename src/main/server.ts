import { Probot, run, Server } from "probot";
import { githubApp } from "../forges/github/app.js";
import { GitHubForge } from "../forges/github/forge.js";
import { operationalRoutes } from "../server/routes.js";
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
    Probot: Probot.defaults({ ...rt.github, log }),
  });
  server.addHandler(
    operationalRoutes({
      metrics: rt.metrics,
      checks: [
        { name: "redis", check: async () => void (await rt.redis.ping()) },
        { name: "kubernetes", check: async () => void (await (await rt.cluster()).core.listNamespace({ limit: 1 })) },
      ],
    }),
  );
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
