import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/config.js";

describe("the resilience settings", () => {
  it("default to a 30 s job lock, a 15 s stalled check and a warning about Redis", () => {
    const config = loadConfig({});
    expect({ lock: config.jobLockMs, stalled: config.stalledIntervalMs, check: config.redisCheck }).toEqual({
      lock: 30_000,
      stalled: 15_000,
      check: "warn",
    });
  });

  it("take durations and the check mode from the environment", () => {
    const config = loadConfig({
      PRBOX_JOB_LOCK_DURATION: "10s",
      PRBOX_STALLED_INTERVAL: "2s",
      PRBOX_REDIS_CHECK: "require",
    });
    expect({ lock: config.jobLockMs, stalled: config.stalledIntervalMs, check: config.redisCheck }).toEqual({
      lock: 10_000,
      stalled: 2000,
      check: "require",
    });
  });

  it("refuse a lock too short to survive a busy event loop, and an unknown check mode, one line each", () => {
    const error = (() => {
      try {
        loadConfig({ PRBOX_JOB_LOCK_DURATION: "200ms", PRBOX_REDIS_CHECK: "strict" });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toEqual([expect.stringMatching(/^PRBOX_REDIS_CHECK: expected warn, require or off/)]);
    expect(() => loadConfig({ PRBOX_JOB_LOCK_DURATION: "200ms" })).toThrow(/PRBOX_JOB_LOCK_DURATION: at least 1s/);
  });

  it("default to 8 attempts per job, 2 s before the first retry, and refuse none or a storm", () => {
    expect(loadConfig({})).toMatchObject({ jobAttempts: 8, retryDelayMs: 2000 });
    expect(loadConfig({ PRBOX_JOB_ATTEMPTS: "3", PRBOX_RETRY_DELAY: "500ms" })).toMatchObject({
      jobAttempts: 3,
      retryDelayMs: 500,
    });
    expect(() => loadConfig({ PRBOX_JOB_ATTEMPTS: "0" })).toThrow(/PRBOX_JOB_ATTEMPTS: at least 1/);
    expect(() => loadConfig({ PRBOX_RETRY_DELAY: "10ms" })).toThrow(/PRBOX_RETRY_DELAY: at least 100ms/);
  });
});
