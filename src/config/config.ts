import { z } from "zod";
import { ConfigError } from "../errors.js";
import type { RenderPolicy } from "../spec/context.js";
import { baselineCrossChecks, baselineOf, parseBaseline, type Baseline } from "./baseline.js";
import { parseRedisUrl, RedisUrlError, type RedisMode } from "./redis-url.js";
import { envSchema } from "./schema.js";
import type { Prices } from "./schema-types.js";

export { ConfigError, envSchema };

/*
 * The settings, read once: `loadConfig(env)` is called in src/main and the result passed down.
 * The schema of every variable is in schema.ts.
 */
/** The rules a spec is rendered under (src/spec/context.ts) plus the bot's own. */
export interface Policy extends RenderPolicy {
  specPath: string;
  /** PRBOX_BOX_REPOSITORIES: FROM:TO patterns of the repositories boxes may be taken from (core/box-sources.ts). */
  boxRepositories: string[];
  /** Deploy only PRs carrying this label. */
  requiredLabel: string | null;
  /** Deploy only once these named checks passed on the head commit. */
  requiredChecks: string[];
  /** Live environments at most (0: no cap). */
  maxEnvironments: number;
  /** Delete environments idle this long (0: never). */
  idleTtlMs: number;
  /** Warn this long before the idle TTL deletes one (0: no warning). */
  expiryWarningMs: number;
  /** Scale idle previews to zero after this long (0: never; ADR 28). */
  sleepAfterMs: number;
  /** host:port where the ingress controller reaches prbox's waking page; null without sleep. */
  wakeAddress: string | null;
  sweepIntervalMs: number;
  deployTimeoutMs: number;
  /** PRBOX_PROBE: request the Ingresses' addresses before "ready" (a spec's `probe` overrides it). */
  probe: boolean;
  probeTimeoutMs: number;
  /** PRBOX_PRICE_*: the ready comment's cost estimate; null: requests only. */
  prices: Prices | null;
  /** Deploy fork PRs without a maintainer's /deploy (they run with the bot's cluster credentials). */
  deployForks: boolean;
  /** Operator-provided variables for every spec: PRBOX_VAR_<NAME>=value becomes ${NAME}. */
  variables: Record<string, string>;
  /** The ClusterRole bound to prbox in each environment namespace (least-privilege installs); null: none. */
  environmentClusterRole: string | null;
  /** Draft PRs get no preview until marked ready (or a maintainer's /deploy). */
  skipDrafts: boolean;
  /** PRs by bot accounts get no preview until a maintainer's /deploy. */
  skipBots: boolean;
  /** Logins (`*` wildcards) taken for bots besides those the forge marks. */
  botAuthors: string[];
  /** A PR carrying this label gets no preview (a running one is deleted); null: no such label. */
  skipLabel: string | null;
  /** Deploy only PRs that change a file matching these patterns (GitHub Actions' paths syntax); []: every PR. */
  paths: string[];
}

export interface Config {
  mode: "development" | "production" | "test";
  logLevel: string;
  host: string;
  port: number;
  redisUrl: string;
  /** True when no PRBOX_REDIS_URL was given and the development default is used. */
  redisDefaulted: boolean;
  /** Prefix of every Redis key (and the queue's), so several installations can share one Redis. */
  redisPrefix: string;
  /** Replicas that must hold an intake's writes before a delivery is acknowledged (Redis WAIT). */
  redisReplicas: number;
  kubeconfig: string | null;
  github: { appId: string | null; webhookSecret: string | null; configured: boolean; webhookProxy: string | null };
  gitlab: { url: string; token: string; webhookSecret: string } | null;
  workerConcurrency: number;
  /** The environments page's token; null: the page is off. Never logged. */
  pageToken: string | null;
  /** BullMQ's lockDuration and stalledInterval (ms): how soon a dead worker's job runs elsewhere. */
  jobLockMs: number;
  stalledIntervalMs: number;
  /** The start-up check of Redis's persistence and eviction settings. */
  redisCheck: "warn" | "require" | "off";
  /** Attempts per reconcile job and the first retry's delay (ms), doubled each time. */
  jobAttempts: number;
  retryDelayMs: number;
  policy: Policy;
  /** Pod Security, NetworkPolicy, quota, limits and copied Secrets of every PR namespace. */
  baseline: Baseline;
  /** The resync with the forges and the cluster (ADR 0021). */
  resync: { intervalMs: number; gitlabProjects: string[] };
}

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** Reads and checks the configuration; every problem is listed, one line each. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(setOnly(env));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems = crossChecks(e);
  if (problems.length > 0) throw new ConfigError(problems);
  const gitlab =
    e.GITLAB_TOKEN && e.GITLAB_WEBHOOK_SECRET
      ? { url: e.GITLAB_URL, token: e.GITLAB_TOKEN, webhookSecret: e.GITLAB_WEBHOOK_SECRET }
      : null;
  return {
    mode: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.HOST,
    port: e.PORT,
    redisUrl: e.PRBOX_REDIS_URL ?? DEFAULT_REDIS_URL,
    redisDefaulted: e.PRBOX_REDIS_URL === undefined,
    redisPrefix: redisPrefix(e),
    redisReplicas: redisReplicas(e),
    kubeconfig: e.KUBECONFIG ?? null,
    github: {
      appId: e.APP_ID ?? null,
      webhookSecret: e.WEBHOOK_SECRET ?? null,
      configured: Boolean(e.APP_ID && (e.PRIVATE_KEY || e.PRIVATE_KEY_PATH)),
      webhookProxy: e.WEBHOOK_PROXY_URL ?? null,
    },
    gitlab,
    workerConcurrency: Math.max(1, e.PRBOX_WORKER_CONCURRENCY),
    pageToken: e.PRBOX_PAGE_TOKEN || null,
    jobLockMs: e.PRBOX_JOB_LOCK_DURATION,
    stalledIntervalMs: e.PRBOX_STALLED_INTERVAL,
    redisCheck: e.PRBOX_REDIS_CHECK,
    jobAttempts: e.PRBOX_JOB_ATTEMPTS,
    retryDelayMs: e.PRBOX_RETRY_DELAY,
    policy: policyOf(e, env),
    baseline: baselineOf(e),
    resync: { intervalMs: e.PRBOX_RESYNC_INTERVAL, gitlabProjects: e.PRBOX_RESYNC_GITLAB_PROJECTS },
  };
}

/** The rules of rendering and deploying, as the settings give them. */
function policyOf(e: Parsed, env: Record<string, string | undefined>): Policy {
  return {
    specPath: e.PRBOX_SPEC_PATH,
    requiredLabel: e.PRBOX_REQUIRED_LABEL || null,
    requiredChecks: e.PRBOX_REQUIRED_CHECKS,
    maxEnvironments: e.PRBOX_MAX_ENVIRONMENTS,
    idleTtlMs: e.PRBOX_IDLE_TTL,
    expiryWarningMs: e.PRBOX_EXPIRY_WARNING,
    sleepAfterMs: e.PRBOX_SLEEP_AFTER,
    wakeAddress: e.PRBOX_WAKE_ADDRESS ?? null,
    sweepIntervalMs: e.PRBOX_SWEEP_INTERVAL,
    deployTimeoutMs: e.PRBOX_DEPLOY_TIMEOUT,
    probe: e.PRBOX_PROBE,
    probeTimeoutMs: e.PRBOX_PROBE_TIMEOUT,
    prices:
      e.PRBOX_PRICE_CPU_HOUR === null || e.PRBOX_PRICE_GIB_HOUR === null
        ? null
        : { cpuHour: e.PRBOX_PRICE_CPU_HOUR, gibHour: e.PRBOX_PRICE_GIB_HOUR, currency: e.PRBOX_PRICE_CURRENCY },
    deployForks: e.PRBOX_DEPLOY_FORKS,
    allowKinds: e.PRBOX_ALLOW_KINDS,
    allowForeignNamespaces: e.PRBOX_ALLOW_FOREIGN_NAMESPACES,
    remoteHosts: e.PRBOX_REMOTE_BOXES_HOSTS,
    boxRepositories: e.PRBOX_BOX_REPOSITORIES,
    allowClusterRoles: e.PRBOX_ALLOW_CLUSTER_ROLES,
    allowServiceTypes: e.PRBOX_ALLOW_SERVICE_TYPES,
    ingressHosts: e.PRBOX_INGRESS_HOSTS,
    allowIngressSnippets: e.PRBOX_ALLOW_INGRESS_SNIPPETS,
    renderTimeoutMs: e.PRBOX_RENDER_TIMEOUT,
    renderMemoryMb: e.PRBOX_RENDER_MEMORY_MB,
    renderMaxOutputMb: e.PRBOX_RENDER_MAX_OUTPUT_MB,
    renderMaxObjects: e.PRBOX_RENDER_MAX_OBJECTS,
    renderConcurrency: Math.max(1, e.PRBOX_RENDER_CONCURRENCY),
    variables: operatorVariables(env),
    environmentClusterRole: e.PRBOX_ENVIRONMENT_CLUSTER_ROLE || null,
    skipDrafts: e.PRBOX_SKIP_DRAFTS,
    skipBots: e.PRBOX_SKIP_BOTS,
    botAuthors: e.PRBOX_BOT_AUTHORS,
    skipLabel: e.PRBOX_SKIP_LABEL || null,
    paths: e.PRBOX_PATHS,
  };
}

/** The baseline settings alone (`prbox run`/`render` in PR mode); a ConfigError names each bad one. */
export function loadBaselineConfig(env: Record<string, string | undefined>): Baseline {
  const parsed = parseBaseline(env);
  if ("problems" in parsed) throw new ConfigError(parsed.problems);
  return parsed.baseline;
}

type Parsed = z.infer<typeof envSchema>;

/** `NAME=` in a .env file or a chart's empty value means "not set", as in most tools, not "". */
function setOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""),
  );
}

function crossChecks(e: Parsed): string[] {
  const problems: string[] = [];
  if (e.NODE_ENV === "production") {
    // Probot silently falls back to the secret "development": never accept that in production.
    // A GitLab-only installation (no APP_ID) runs no Probot and needs no GitHub secret.
    const gitlabOnly = Boolean(e.GITLAB_TOKEN) && !e.APP_ID;
    if (!e.WEBHOOK_SECRET && !gitlabOnly)
      problems.push("WEBHOOK_SECRET: required in production (the secret of the GitHub App's webhook)");
    if (!e.PRBOX_REDIS_URL) problems.push("PRBOX_REDIS_URL: required in production (e.g. redis://redis:6379)");
  }
  if (e.APP_ID && !e.PRIVATE_KEY && !e.PRIVATE_KEY_PATH)
    problems.push("PRIVATE_KEY or PRIVATE_KEY_PATH: required with APP_ID");
  if (Boolean(e.GITLAB_TOKEN) !== Boolean(e.GITLAB_WEBHOOK_SECRET)) {
    problems.push("GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET: set both to serve GitLab, or neither");
  }
  if (e.PRBOX_PAGE_TOKEN && e.PRBOX_PAGE_TOKEN.length < 16) {
    problems.push(
      "PRBOX_PAGE_TOKEN: too short to guard the environments page; use 16 characters or more (e.g. openssl rand -hex 32)",
    );
  }
  problems.push(...redisUrlProblems(e));
  // BullMQ renews a lock every half of its duration; below ~1 s a busy event loop loses jobs it still runs.
  if (e.PRBOX_JOB_LOCK_DURATION < 1000)
    problems.push(
      "PRBOX_JOB_LOCK_DURATION: at least 1s (a shorter lock expires while a busy worker still runs the job)",
    );
  if (e.PRBOX_STALLED_INTERVAL < 100) problems.push("PRBOX_STALLED_INTERVAL: at least 100ms");
  problems.push(...baselineCrossChecks(e));
  problems.push(...resyncChecks(e));
  problems.push(...retryProblems(e));
  problems.push(...pathProblems(e));
  problems.push(...sleepProblems(e));
  if ((e.PRBOX_PRICE_CPU_HOUR === null) !== (e.PRBOX_PRICE_GIB_HOUR === null))
    problems.push("PRBOX_PRICE_CPU_HOUR and PRBOX_PRICE_GIB_HOUR: set both for a cost estimate, or neither");
  return problems;
}

/** How PRBOX_REDIS_URL reaches Redis; a URL that does not parse is redisUrlProblems' to report. */
function redisMode(e: Parsed): RedisMode {
  try {
    return e.PRBOX_REDIS_URL ? parseRedisUrl(e.PRBOX_REDIS_URL).mode : "standalone";
  } catch {
    return "standalone";
  }
}

/** Sentinel means a replica to fail over to: by default a delivery is acknowledged once it holds the write. */
function redisReplicas(e: Parsed): number {
  if (e.PRBOX_REDIS_REPLICAS !== undefined) return e.PRBOX_REDIS_REPLICAS;
  return redisMode(e) === "sentinel" ? 1 : 0;
}

function redisUrlProblems(e: Parsed): string[] {
  if (!e.PRBOX_REDIS_URL) return [];
  let mode: RedisMode;
  try {
    mode = parseRedisUrl(e.PRBOX_REDIS_URL).mode;
  } catch (error) {
    if (error instanceof RedisUrlError) return [`PRBOX_REDIS_URL: ${error.message}`];
    throw error;
  }
  if (mode !== "cluster") return [];
  return e.PRBOX_REDIS_REPLICAS
    ? [
        "PRBOX_REDIS_REPLICAS: not available with redis+cluster:// (WAIT would ask a random node); set it to 0, or use Sentinel",
      ]
    : [];
}

/**
 * On a Redis Cluster the prefix is a hash tag ("prbox" → "{prbox}"): every key of prbox and its
 * queue then lands in one slot, where the scripts that touch several keys can run.
 */
function redisPrefix(e: Parsed): string {
  const cluster = redisMode(e) === "cluster";
  return cluster && !e.PRBOX_REDIS_PREFIX.startsWith("{") ? `{${e.PRBOX_REDIS_PREFIX}}` : e.PRBOX_REDIS_PREFIX;
}

function pathProblems(e: Parsed): string[] {
  // Only exclusions match nothing at all: every PR would go without a preview.
  if (e.PRBOX_PATHS.length > 0 && e.PRBOX_PATHS.every((p) => p.startsWith("!")))
    return [
      "PRBOX_PATHS: only exclusions (!pattern) match no file at all; put what needs a preview first, e.g. **,!docs/**",
    ];
  return [];
}

function sleepProblems(e: Parsed): string[] {
  if (e.PRBOX_SLEEP_AFTER === 0) return [];
  const problems: string[] = [];
  if (!e.PRBOX_WAKE_ADDRESS)
    problems.push("PRBOX_WAKE_ADDRESS: required with PRBOX_SLEEP_AFTER (where the ingress controller reaches prbox)");
  if (e.PRBOX_IDLE_TTL !== 0 && e.PRBOX_SLEEP_AFTER >= e.PRBOX_IDLE_TTL)
    problems.push("PRBOX_SLEEP_AFTER: shorter than PRBOX_IDLE_TTL (a preview sleeps before it is deleted), or 0s");
  return problems;
}

function retryProblems(e: Parsed): string[] {
  const problems: string[] = [];
  if (e.PRBOX_JOB_ATTEMPTS < 1) problems.push("PRBOX_JOB_ATTEMPTS: at least 1 (the first attempt counts)");
  if (e.PRBOX_RETRY_DELAY < 100)
    problems.push("PRBOX_RETRY_DELAY: at least 100ms (retrying sooner only adds load to what is failing)");
  return problems;
}

function resyncChecks(e: Parsed): string[] {
  // Each resync lists every open PR: more often than this spends the forges' rate limits for little.
  const tooOften = e.PRBOX_RESYNC_INTERVAL !== 0 && e.PRBOX_RESYNC_INTERVAL < 10_000;
  return tooOften
    ? [
        "PRBOX_RESYNC_INTERVAL: at least 10s (each resync lists every open pull request; a few minutes is the usual value), or 0s to turn it off",
      ]
    : [];
}

/** PRBOX_VAR_<NAME>=value: the allow-listed variables the operator gives every spec. */
function operatorVariables(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const name = /^PRBOX_VAR_([A-Za-z_][A-Za-z0-9_]*)$/.exec(key)?.[1];
    if (name && value !== undefined) out[name] = value;
  }
  return out;
}
