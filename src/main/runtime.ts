import { getPrivateKey } from "@probot/get-private-key";
import type { Logger as PinoLogger } from "pino";
import { Probot } from "probot";
import { connectCluster, type Cluster } from "../cluster/index.js";
import type { Config } from "../config/config.js";
import { forgeRegistry, type ForgeRegistry } from "../core/forge.js";
import { appBot, type GitHubBot } from "../forges/github/identity.js";
import { PrboxOctokit } from "../forges/github/octokit.js";
import { githubForgeFactory } from "../forges/github/registry.js";
import { createGitLabClient, type GitLabClient } from "../forges/gitlab/client.js";
import { gitlabForgeFactory } from "../forges/gitlab/registry.js";
import {
  checkRedisSettings,
  connectRedis,
  createReconcileQueue,
  RedisStateStore,
  type RedisConnection,
  type BullReconcileQueue,
} from "../queue/index.js";
import { createMetrics, type Metrics } from "../server/metrics.js";

/** Everything the server and the worker share, built once from the configuration in src/main. */
export interface Runtime {
  config: Config;
  log: PinoLogger;
  redis: RedisConnection;
  store: RedisStateStore;
  queue: BullReconcileQueue;
  metrics: Metrics;
  /** null until the GitHub App is registered (APP_ID and a private key). */
  github: GitHubAppOptions | null;
  /** The worker's Probot, for installation tokens; null without the GitHub App. */
  probot: Probot | null;
  /** The GitHub App's bot account (GET /app, asked once): whose comments are prbox's own. */
  githubBot: GitHubBot | null;
  /** The shared GitLab client; null without GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET. */
  gitlab: GitLabClient | null;
  forges: ForgeRegistry;
  /** Connected lazily: the server runs (and /readyz says why it is not ready) without a cluster. */
  cluster(): Promise<Cluster>;
  close(): Promise<void>;
}

export interface GitHubAppOptions {
  appId: string;
  privateKey: string;
  secret: string | undefined;
  /** GitHub Enterprise Server's API, from GHE_HOST / GHE_PROTOCOL. */
  baseUrl: string | undefined;
}

/** The GitHub App's credentials, or null until the app is registered. */
export function githubAppOptions(config: Config, env: NodeJS.ProcessEnv): GitHubAppOptions | null {
  const privateKey = config.github.configured ? getPrivateKey({ env }) : null;
  if (!config.github.appId || !privateKey) return null;
  return {
    appId: config.github.appId,
    privateKey,
    secret: config.github.webhookSecret ?? undefined,
    baseUrl: env.GHE_HOST ? `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3` : undefined,
  };
}

export async function createRuntime(
  config: Config,
  log: PinoLogger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Runtime> {
  const redis = await connectRedis(config.redisUrl, { role: "client", log });
  try {
    await checkRedisSettings(redis, config.redisCheck, log);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const store = new RedisStateStore(redis, { prefix: config.redisPrefix });
  const queue = createReconcileQueue({
    connection: redis,
    prefix: config.redisPrefix,
    log,
    attempts: config.jobAttempts,
    backoffMs: config.retryDelayMs,
    replicas: config.redisReplicas,
  });
  const github = githubAppOptions(config, env);
  const probot = github ? new Probot({ ...github, log: log.child({ name: "probot" }), Octokit: PrboxOctokit }) : null;
  const githubBot = probot ? appBot(() => probot.auth()) : null;
  const gitlab = config.gitlab ? createGitLabClient({ url: config.gitlab.url, token: config.gitlab.token }) : null;
  let cluster: Promise<Cluster> | null = null;
  return {
    config,
    log,
    redis,
    store,
    queue,
    github,
    probot,
    githubBot,
    gitlab,
    metrics: createMetrics({
      liveEnvironments: async () => (await store.listDesired()).filter((d) => d.action === "deploy").length,
    }),
    forges: forgeRegistry({
      ...(probot && githubBot ? { github: githubForgeFactory(probot, githubBot, log) } : {}),
      ...(gitlab && config.gitlab ? { gitlab: gitlabForgeFactory(gitlab, config.gitlab.url, log) } : {}),
    }),
    cluster() {
      cluster ??= connectCluster({ kubeconfigPath: config.kubeconfig ?? undefined }).catch((error: unknown) => {
        cluster = null;
        throw error;
      });
      return cluster;
    },
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}
