import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { parseRedisUrl, redactRedisUrl, RedisUrlError } from "../../../src/config/redis-url.js";

describe("PRBOX_REDIS_URL", () => {
  it("passes a plain redis:// or rediss:// URL on as it is", () => {
    expect(parseRedisUrl("redis://:pw@redis:6379/2")).toEqual({ mode: "standalone", url: "redis://:pw@redis:6379/2" });
    expect(parseRedisUrl("rediss://redis.internal:6380")).toMatchObject({ mode: "standalone" });
  });

  it("reads Sentinel's hosts, master name, database and both passwords", () => {
    expect(
      parseRedisUrl(
        "redis+sentinel://prbox:s%40cret@10.0.0.1:26379,10.0.0.2,[::1]:26380/mymaster/3?sentinelPassword=sp",
      ),
    ).toEqual({
      mode: "sentinel",
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "10.0.0.2", port: 26379 },
        { host: "::1", port: 26380 },
      ],
      name: "mymaster",
      db: 3,
      username: "prbox",
      password: "s@cret",
      sentinelPassword: "sp",
      tls: false,
    });
    expect(parseRedisUrl("rediss+sentinel://:pw@s1/main")).toEqual({
      mode: "sentinel",
      sentinels: [{ host: "s1", port: 26379 }],
      name: "main",
      db: 0,
      password: "pw",
      tls: true,
    });
  });

  it("reads a Redis Cluster's seed nodes", () => {
    expect(parseRedisUrl("redis+cluster://n1:7000,n2:7001")).toEqual({
      mode: "cluster",
      nodes: [
        { host: "n1", port: 7000 },
        { host: "n2", port: 7001 },
      ],
      tls: false,
    });
  });

  it.each([
    ["http://redis:6379", /not a Redis URL; expected redis:\/\//],
    ["redis+sentinel://s1:26379,s2:26379", /needs the master group name/],
    ["redis+sentinel://s1:26379/mymaster/zero", /the database "zero" is not a number/],
    ["redis+sentinel://s1:99999/mymaster", /"s1:99999": the port is not between 1 and 65535/],
    ["redis+sentinel://s1:26379,,s2/mymaster", /"" is not host\[:port\]/],
    ["redis+cluster://n1:7000/2", /takes no master name or database/],
    ["redis+cluster:///", /no hosts/],
  ])("refuses %s and says why", (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it("redacts every password, the Sentinels' included, and keeps the rest readable", () => {
    expect(redactRedisUrl("redis+sentinel://prbox:hunter2@s1:26379,s2/mymaster/1?sentinelPassword=hunter3")).toBe(
      "redis+sentinel://prbox:***@s1:26379,s2/mymaster/1?sentinelPassword=***",
    );
    expect(redactRedisUrl("rediss://:hunter2@redis:6380")).toBe("rediss://:***@redis:6380");
    expect(redactRedisUrl("redis+cluster://n1:7000")).toBe("redis+cluster://n1:7000");
    expect(redactRedisUrl("not a url hunter2")).toBe("(an invalid Redis URL)");
  });

  it("is checked at start-up, and Sentinel waits for one replica by default", () => {
    const env = { NODE_ENV: "test" };
    expect(() => loadConfig({ ...env, PRBOX_REDIS_URL: "redis+sentinel://s1:26379" })).toThrow(
      /PRBOX_REDIS_URL: redis\+sentinel:\/\/ needs the master group name/,
    );
    expect(loadConfig({ ...env, PRBOX_REDIS_URL: "redis+sentinel://s1:26379/mymaster" }).redisReplicas).toBe(1);
    expect(
      loadConfig({ ...env, PRBOX_REDIS_URL: "redis+sentinel://s1/mymaster", PRBOX_REDIS_REPLICAS: "0" }).redisReplicas,
    ).toBe(0);
    expect(loadConfig({ ...env, PRBOX_REDIS_URL: "redis://redis:6379" }).redisReplicas).toBe(0);
    expect(loadConfig({ ...env, PRBOX_REDIS_URL: "redis://redis:6379", PRBOX_REDIS_REPLICAS: "2" }).redisReplicas).toBe(
      2,
    );
  });
});

describe("PRBOX_REDIS_URL on a Redis Cluster", () => {
  const env = { NODE_ENV: "test", PRBOX_REDIS_URL: "redis+cluster://n1:7000,n2:7001" };

  it("makes the prefix a hash tag, so every key lands in one slot", () => {
    expect(loadConfig(env).redisPrefix).toBe("{prbox}");
    expect(loadConfig({ ...env, PRBOX_REDIS_PREFIX: "team-a" }).redisPrefix).toBe("{team-a}");
    expect(loadConfig({ ...env, PRBOX_REDIS_PREFIX: "{team-a}" }).redisPrefix).toBe("{team-a}");
    expect(loadConfig({ NODE_ENV: "test", PRBOX_REDIS_PREFIX: "team-a" }).redisPrefix).toBe("team-a");
  });

  it("refuses PRBOX_REDIS_REPLICAS, which it cannot honour", () => {
    expect(() => loadConfig({ ...env, PRBOX_REDIS_REPLICAS: "1" })).toThrow(
      /PRBOX_REDIS_REPLICAS: not available with redis\+cluster:\/\//,
    );
    expect(loadConfig(env).redisReplicas).toBe(0);
  });
});
