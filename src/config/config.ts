import { z } from "zod";
import { PrboxError } from "../errors.js";
import { parseDuration } from "./durations.js";

/**
 * Every setting prbox reads from the environment, validated once at start-up (DESIGN.md §6).
 * `loadConfig(env)` is called in src/main and the result passed down; nothing reads
 * process.env anywhere else. .env.example lists every variable with a comment.
 */
const list = z
  .string()
  .optional()
  .transform((value) => (value ?? "").split(",").map((s) => s.trim()).filter(Boolean));

const duration = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const ms = parseDuration(value ?? fallback);
      if (ms === null) {
        ctx.addIssue({ code: "custom", message: `"${value}" is not a duration; write e.g. 90s, 5m, 72h` });
        return z.NEVER;
      }
      return ms;
    });

const count = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const n = value === undefined || value === "" ? fallback : Number(value);
      if (!Number.isSafeInteger(n) || n < 0) {
        ctx.addIssue({ code: "custom", message: `"${value}" is not a whole number ≥ 0` });
        return z.NEVER;
      }
      return n;
    });

const flag = z
  .enum(["true", "false", "1", "0", "yes", "no", ""], { error: "expected true or false" })
  .optional()
  .transform((value) => value === "true" || value === "1" || value === "yes");

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"], { error: "expected development, production or test" }).default("development"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"], { error: "expected trace, debug, info, warn, error or fatal" }).default("info"),
  HOST: z.string().default("localhost"),
  PORT: count(3000),
  APP_ID: z.string().optional(),
  PRIVATE_KEY: z.string().optional(),
  PRIVATE_KEY_PATH: z.string().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  WEBHOOK_PROXY_URL: z.url({ error: "expected a URL, e.g. https://smee.io/abc123" }).optional(),
  GHE_HOST: z.string().optional(),
  GHE_PROTOCOL: z.enum(["https", "http"]).optional(),
  PRBOX_REDIS_URL: z.string().optional(),
  PRBOX_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, { error: "letters, digits, _ and - only" }).default("prbox"),
  KUBECONFIG: z.string().optional(),
  GITLAB_URL: z.url({ error: "expected the GitLab base URL, e.g. https://gitlab.example.com" }).default("https://gitlab.com"),
  GITLAB_TOKEN: z.string().optional(),
  GITLAB_WEBHOOK_SECRET: z.string().optional(),
  PRBOX_SPEC_PATH: z.string().default("environment.toml"),
  PRBOX_REQUIRED_LABEL: z.string().optional(),
  PRBOX_REQUIRED_CHECKS: list,
  PRBOX_MAX_ENVIRONMENTS: count(0),
  PRBOX_IDLE_TTL: duration("0s"),
  PRBOX_SWEEP_INTERVAL: duration("10m"),
  PRBOX_DEPLOY_TIMEOUT: duration("5m"),
  PRBOX_DEPLOY_FORKS: flag,
  PRBOX_ALLOW_KINDS: list,
  PRBOX_ALLOW_FOREIGN_NAMESPACES: flag,
  PRBOX_REMOTE_BOXES_HOSTS: list,
  PRBOX_WORKER_CONCURRENCY: count(2),
  PRBOX_JOB_LOCK_DURATION: duration("30s").describe(
    "how long a worker's claim on a job lasts without renewal (renewed every half of it): a killed worker's job is taken over after at most this plus PRBOX_STALLED_INTERVAL",
  ),
  PRBOX_STALLED_INTERVAL: duration("15s").describe("how often each worker looks for jobs of dead workers; give every worker the same value"),
  PRBOX_REDIS_CHECK: z
    .enum(["warn", "require", "off"], { error: "expected warn, require or off" })
    .default("warn")
    .describe("what to do when Redis is not configured as prbox needs (append-only file, maxmemory-policy noeviction): warn, require (refuse to start) or off"),
});

export interface Policy {
  specPath: string;
  /** Deploy only PRs carrying this label. */
  requiredLabel: string | null;
  /** Deploy only once these named checks passed on the head commit. */
  requiredChecks: string[];
  /** Live environments at most (0: no cap). */
  maxEnvironments: number;
  /** Delete environments idle this long (0: never). */
  idleTtlMs: number;
  sweepIntervalMs: number;
  deployTimeoutMs: number;
  /** Deploy fork PRs without a maintainer's /deploy (they run with the bot's cluster credentials). */
  deployForks: boolean;
  allowKinds: string[];
  allowForeignNamespaces: boolean;
  remoteHosts: string[];
  /** Operator-provided variables for every spec: PRBOX_VAR_<NAME>=value becomes ${NAME}. */
  variables: Record<string, string>;
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
  kubeconfig: string | null;
  github: { appId: string | null; webhookSecret: string | null; configured: boolean; webhookProxy: string | null };
  gitlab: { url: string; token: string; webhookSecret: string } | null;
  workerConcurrency: number;
  /** BullMQ's lockDuration and stalledInterval (ms): how soon a dead worker's job runs elsewhere. */
  jobLockMs: number;
  stalledIntervalMs: number;
  /** The start-up check of Redis's persistence and eviction settings. */
  redisCheck: "warn" | "require" | "off";
  policy: Policy;
}

export class ConfigError extends PrboxError {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`, { hint: "see .env.example for every setting" });
  }
}

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** Reads and checks the configuration; every problem is listed, one line each. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems = crossChecks(e);
  if (problems.length > 0) throw new ConfigError(problems);
  const gitlab = e.GITLAB_TOKEN && e.GITLAB_WEBHOOK_SECRET ? { url: e.GITLAB_URL, token: e.GITLAB_TOKEN, webhookSecret: e.GITLAB_WEBHOOK_SECRET } : null;
  return {
    mode: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.HOST,
    port: e.PORT,
    redisUrl: e.PRBOX_REDIS_URL ?? DEFAULT_REDIS_URL,
    redisDefaulted: e.PRBOX_REDIS_URL === undefined,
    redisPrefix: e.PRBOX_REDIS_PREFIX,
    kubeconfig: e.KUBECONFIG ?? null,
    github: {
      appId: e.APP_ID ?? null,
      webhookSecret: e.WEBHOOK_SECRET ?? null,
      configured: Boolean(e.APP_ID && (e.PRIVATE_KEY || e.PRIVATE_KEY_PATH)),
      webhookProxy: e.WEBHOOK_PROXY_URL ?? null,
    },
    gitlab,
    workerConcurrency: Math.max(1, e.PRBOX_WORKER_CONCURRENCY),
    jobLockMs: e.PRBOX_JOB_LOCK_DURATION,
    stalledIntervalMs: e.PRBOX_STALLED_INTERVAL,
    redisCheck: e.PRBOX_REDIS_CHECK,
    policy: {
      specPath: e.PRBOX_SPEC_PATH,
      requiredLabel: e.PRBOX_REQUIRED_LABEL || null,
      requiredChecks: e.PRBOX_REQUIRED_CHECKS,
      maxEnvironments: e.PRBOX_MAX_ENVIRONMENTS,
      idleTtlMs: e.PRBOX_IDLE_TTL,
      sweepIntervalMs: e.PRBOX_SWEEP_INTERVAL,
      deployTimeoutMs: e.PRBOX_DEPLOY_TIMEOUT,
      deployForks: e.PRBOX_DEPLOY_FORKS,
      allowKinds: e.PRBOX_ALLOW_KINDS,
      allowForeignNamespaces: e.PRBOX_ALLOW_FOREIGN_NAMESPACES,
      remoteHosts: e.PRBOX_REMOTE_BOXES_HOSTS,
      variables: operatorVariables(env),
    },
  };
}

type Parsed = z.infer<typeof envSchema>;

function crossChecks(e: Parsed): string[] {
  const problems: string[] = [];
  if (e.NODE_ENV === "production") {
    // Probot silently falls back to the secret "development": never accept that in production.
    if (!e.WEBHOOK_SECRET) problems.push("WEBHOOK_SECRET: required in production (the secret of the GitHub App's webhook)");
    if (!e.PRBOX_REDIS_URL) problems.push("PRBOX_REDIS_URL: required in production (e.g. redis://redis:6379)");
  }
  if (e.APP_ID && !e.PRIVATE_KEY && !e.PRIVATE_KEY_PATH) problems.push("PRIVATE_KEY or PRIVATE_KEY_PATH: required with APP_ID");
  if (Boolean(e.GITLAB_TOKEN) !== Boolean(e.GITLAB_WEBHOOK_SECRET)) {
    problems.push("GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET: set both to serve GitLab, or neither");
  }
  if (e.PRBOX_REDIS_URL && !/^rediss?:\/\//.test(e.PRBOX_REDIS_URL)) problems.push("PRBOX_REDIS_URL: expected redis://host:port or rediss://host:port");
  // BullMQ renews a lock every half of its duration; below ~1 s a busy event loop loses jobs it still runs.
  if (e.PRBOX_JOB_LOCK_DURATION < 1000) problems.push("PRBOX_JOB_LOCK_DURATION: at least 1s (a shorter lock expires while a busy worker still runs the job)");
  if (e.PRBOX_STALLED_INTERVAL < 100) problems.push("PRBOX_STALLED_INTERVAL: at least 100ms");
  return problems;
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
