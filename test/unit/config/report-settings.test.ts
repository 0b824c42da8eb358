// The settings of what a ready report says: the probe and the cost estimate.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";

const env = { NODE_ENV: "test" };

describe("report settings", () => {
  it("estimates cost only with both prices, and says so when one is missing", () => {
    expect(loadConfig(env).policy.prices).toBeNull();
    expect(
      loadConfig({ ...env, PRBOX_PRICE_CPU_HOUR: "0.0316", PRBOX_PRICE_GIB_HOUR: "0.0042", PRBOX_PRICE_CURRENCY: "€" })
        .policy.prices,
    ).toEqual({ cpuHour: 0.0316, gibHour: 0.0042, currency: "€" });
    expect(() => loadConfig({ ...env, PRBOX_PRICE_CPU_HOUR: "0.0316" })).toThrow(
      /PRBOX_PRICE_CPU_HOUR and PRBOX_PRICE_GIB_HOUR: set both/,
    );
    expect(() => loadConfig({ ...env, PRBOX_PRICE_CPU_HOUR: "-1", PRBOX_PRICE_GIB_HOUR: "1" })).toThrow(
      /"-1" is not a price/,
    );
  });

  it("probes only when asked, for a minute by default", () => {
    expect(loadConfig(env).policy).toMatchObject({ probe: false, probeTimeoutMs: 60_000 });
    expect(loadConfig({ ...env, PRBOX_PROBE: "true", PRBOX_PROBE_TIMEOUT: "2m" }).policy).toMatchObject({
      probe: true,
      probeTimeoutMs: 120_000,
    });
  });
});
