// The resync's schedule across workers (src/main/resync.ts): one run at a time, periodic runs
// shared by every worker, a start-up run never skipped for a recent one. Real Redis and cluster;
// no forge is configured, so a run only reads the cluster's records.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { createLogger } from "../../../src/log.js";
import { resyncOnce } from "../../../src/main/resync.js";
import { createRuntime, type Runtime } from "../../../src/main/runtime.js";
import { testKubeconfig } from "../../support/cluster-fixtures.js";

describe("the resync's schedule", () => {
  let rt: Runtime;
  let prefix: string;
  beforeEach(async () => {
    prefix = `resync-schedule-${randomBytes(3).toString("hex")}`;
    const env = {
      PRBOX_REDIS_URL: inject("redisUrl"),
      PRBOX_REDIS_PREFIX: prefix,
      KUBECONFIG: testKubeconfig(),
      PRBOX_RESYNC_INTERVAL: "5m",
      PRBOX_REDIS_CHECK: "off",
    };
    rt = await createRuntime(loadConfig(env), createLogger({ level: "silent" }), env);
  });
  afterEach(async () => {
    const keys = await rt.redis.keys(`${prefix}:*`);
    if (keys.length > 0) await rt.redis.del(...keys);
    await rt.close();
  });

  it("runs one resync at a time: of two started together, one runs and the other is skipped", async () => {
    const results = await Promise.all([resyncOnce(rt, { periodic: false }), resyncOnce(rt, { periodic: false })]);

    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await rt.redis.get(`${prefix}:resync-lock`)).toBeNull();
  });

  it("skips a periodic run shortly after any worker's run, but never a start-up run", async () => {
    expect(await resyncOnce(rt, { periodic: true })).not.toBeNull();

    expect(await resyncOnce(rt, { periodic: true })).toBeNull();
    expect(await resyncOnce(rt, { periodic: false })).not.toBeNull();
  });
});
