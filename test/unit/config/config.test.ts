import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { describe, expect, it } from "vitest";
import { ConfigError, envSchema, loadConfig } from "../../../src/config/config.js";
import { wakeTarget } from "../../../src/core/sleep.js";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  it("serves a newcomer with defaults in development", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: "development",
      redisUrl: "redis://127.0.0.1:6379",
      redisDefaulted: true,
      port: 3000,
    });
    expect(config.policy).toMatchObject({
      specPath: "environment.toml",
      deployTimeoutMs: 300_000,
      deployForks: false,
      maxEnvironments: 0,
    });
  });

  it("treats an empty value (NAME= in a .env file) as not set", () => {
    const config = loadConfig({
      WEBHOOK_PROXY_URL: "",
      GHE_PROTOCOL: "",
      PRBOX_REDIS_URL: "",
      KUBECONFIG: "",
      PORT: "",
      PRBOX_VAR_EMPTY: "",
    });
    expect(config).toMatchObject({
      redisUrl: "redis://127.0.0.1:6379",
      redisDefaulted: true,
      kubeconfig: null,
      port: 3000,
    });
    expect(config.github.webhookProxy).toBeNull();
    expect(config.policy.variables).toEqual({ EMPTY: "" });
  });

  it("refuses to run in production without a webhook secret or a Redis URL", () => {
    expect(problems({ NODE_ENV: "production" })).toEqual([
      expect.stringMatching(/^WEBHOOK_SECRET: required in production/),
      expect.stringMatching(/^PRBOX_REDIS_URL: required in production/),
    ]);
  });

  it("needs no GitHub webhook secret in production for a GitLab-only installation, but does once APP_ID is set", () => {
    const gitlab = {
      NODE_ENV: "production",
      PRBOX_REDIS_URL: "redis://redis:6379",
      GITLAB_TOKEN: "glpat-x",
      GITLAB_WEBHOOK_SECRET: "s",
    };
    expect(loadConfig(gitlab).gitlab?.token).toBe("glpat-x");
    expect(problems({ ...gitlab, APP_ID: "1", PRIVATE_KEY: "k" })).toEqual([
      expect.stringMatching(/^WEBHOOK_SECRET: required in production/),
    ]);
  });

  it("reads PRBOX_ENVIRONMENT_CLUSTER_ROLE into the policy, and nothing when it is empty", () => {
    expect(loadConfig({ PRBOX_ENVIRONMENT_CLUSTER_ROLE: "prbox-environment" }).policy.environmentClusterRole).toBe(
      "prbox-environment",
    );
    expect(loadConfig({ PRBOX_ENVIRONMENT_CLUSTER_ROLE: "" }).policy.environmentClusterRole).toBeNull();
  });

  it("lists every problem, one line each", () => {
    const found = problems({ PRBOX_DEPLOY_TIMEOUT: "soon", PRBOX_MAX_ENVIRONMENTS: "-3", LOG_LEVEL: "loud" });
    expect(found).toHaveLength(3);
    expect(found).toContainEqual(expect.stringMatching(/^PRBOX_DEPLOY_TIMEOUT: "soon" is not a duration/));
    expect(found).toContainEqual(expect.stringMatching(/^PRBOX_MAX_ENVIRONMENTS: "-3" is not a whole number/));
  });

  it("wants both GitLab settings or neither", () => {
    expect(problems({ GITLAB_TOKEN: "t" })).toEqual([
      expect.stringContaining("GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET"),
    ]);
    expect(loadConfig({ GITLAB_TOKEN: "t", GITLAB_WEBHOOK_SECRET: "s" }).gitlab).toEqual({
      url: "https://gitlab.com",
      token: "t",
      webhookSecret: "s",
    });
  });

  it("passes only PRBOX_VAR_* variables on to specs", () => {
    const config = loadConfig({
      PRBOX_VAR_BASE_DOMAIN: "preview.example.com",
      WEBHOOK_SECRET: "s3cret",
      PRIVATE_KEY: "k",
    });
    expect(config.policy.variables).toEqual({ BASE_DOMAIN: "preview.example.com" });
  });

  it("parses lists and durations", () => {
    const config = loadConfig({
      PRBOX_REQUIRED_CHECKS: "build, test ,",
      PRBOX_IDLE_TTL: "72h",
      PRBOX_DEPLOY_FORKS: "true",
    });
    expect(config.policy).toMatchObject({
      requiredChecks: ["build", "test"],
      idleTtlMs: 72 * 3_600_000,
      deployForks: true,
    });
  });

  it("turns the environments page on only with a token long enough to guard it", () => {
    expect(loadConfig({}).pageToken).toBeNull();
    expect(loadConfig({ PRBOX_PAGE_TOKEN: "" }).pageToken).toBeNull();
    expect(loadConfig({ PRBOX_PAGE_TOKEN: "0123456789abcdef" }).pageToken).toBe("0123456789abcdef");
    expect(problems({ PRBOX_PAGE_TOKEN: "letmein" })).toEqual([expect.stringMatching(/^PRBOX_PAGE_TOKEN: too short/)]);
  });

  it("documents every variable it reads in .env.example", () => {
    const example = readFileSync(path.resolve(import.meta.dirname, "../../../.env.example"), "utf8");
    // Settings without a default are commented out: an empty value is not the same as none.
    for (const name of Object.keys(envSchema.shape)) expect(example, name).toMatch(new RegExp(`^(# )?${name}=`, "m"));
    expect(example).toContain("PRBOX_VAR_");
  });

  it("shows the defaults in .env.example, so copying it to .env changes nothing", () => {
    const example = parseDotenv(readFileSync(path.resolve(import.meta.dirname, "../../../.env.example"), "utf8"));
    expect(loadConfig(example)).toEqual(loadConfig({}));
  });
});

describe("the sleep settings (ADR 28)", () => {
  it("are off by default; PRBOX_SLEEP_AFTER needs a wake address and comes before the idle TTL", () => {
    expect(loadConfig({}).policy).toMatchObject({ sleepAfterMs: 0, wakeAddress: null });
    const on = loadConfig({ PRBOX_SLEEP_AFTER: "8h", PRBOX_WAKE_ADDRESS: "prbox.prbox.svc.cluster.local:3000" });
    expect(on.policy).toMatchObject({ sleepAfterMs: 8 * 3_600_000, wakeAddress: "prbox.prbox.svc.cluster.local:3000" });
    expect(wakeTarget(on.policy)).toEqual({ host: "prbox.prbox.svc.cluster.local", port: 3000 });
    expect(problems({ PRBOX_SLEEP_AFTER: "8h" })).toEqual([expect.stringMatching(/^PRBOX_WAKE_ADDRESS: required/)]);
    expect(
      problems({ PRBOX_SLEEP_AFTER: "72h", PRBOX_IDLE_TTL: "72h", PRBOX_WAKE_ADDRESS: "prbox.example:80" }),
    ).toEqual([expect.stringMatching(/^PRBOX_SLEEP_AFTER: shorter than PRBOX_IDLE_TTL/)]);
    expect(problems({ PRBOX_WAKE_ADDRESS: "http://prbox:3000" })).toEqual([
      expect.stringMatching(/^PRBOX_WAKE_ADDRESS: expected host:port/),
    ]);
    expect(() => wakeTarget({ wakeAddress: null })).toThrow(/PRBOX_WAKE_ADDRESS is not set/);
  });
});
