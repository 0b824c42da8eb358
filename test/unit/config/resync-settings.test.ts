import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/config.js";

describe("the resync settings", () => {
  it("default to a resync every 5 minutes and no extra GitLab projects", () => {
    expect(loadConfig({}).resync).toEqual({ intervalMs: 300_000, gitlabProjects: [] });
  });

  it("take an interval, 0s (off) and a list of GitLab project paths", () => {
    expect(
      loadConfig({ PRBOX_RESYNC_INTERVAL: "90s", PRBOX_RESYNC_GITLAB_PROJECTS: "acme/shop, acme/tools/cli" }).resync,
    ).toEqual({
      intervalMs: 90_000,
      gitlabProjects: ["acme/shop", "acme/tools/cli"],
    });
    expect(loadConfig({ PRBOX_RESYNC_INTERVAL: "0s" }).resync.intervalMs).toBe(0);
  });

  it("refuse an interval that would spend the forges' rate limits, and one that is no duration, naming the setting", () => {
    expect(() => loadConfig({ PRBOX_RESYNC_INTERVAL: "5s" })).toThrow(ConfigError);
    expect(() => loadConfig({ PRBOX_RESYNC_INTERVAL: "5s" })).toThrow(
      /PRBOX_RESYNC_INTERVAL: at least 10s .* or 0s to turn it off/,
    );
    expect(() => loadConfig({ PRBOX_RESYNC_INTERVAL: "often" })).toThrow(
      /PRBOX_RESYNC_INTERVAL: "often" is not a duration/,
    );
  });
});
