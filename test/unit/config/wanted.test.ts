import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/config.js";

describe("the settings of which pull requests want a preview", () => {
  it("skips drafts, bots and the no-preview label by default, and filters no paths", () => {
    expect(loadConfig({}).policy).toMatchObject({
      skipDrafts: true,
      skipBots: true,
      botAuthors: ["*[bot]", "*-bot", "renovate", "dependabot"],
      skipLabel: "no-preview",
      paths: [],
    });
  });

  it("reads what the operator sets", () => {
    const policy = loadConfig({
      PRBOX_SKIP_DRAFTS: "false",
      PRBOX_SKIP_BOTS: "no",
      PRBOX_BOT_AUTHORS: "ci-robot",
      PRBOX_SKIP_LABEL: "skip-preview",
      PRBOX_PATHS: "src/**, charts/** ,!**/*.md",
    }).policy;
    expect(policy).toMatchObject({
      skipDrafts: false,
      skipBots: false,
      botAuthors: ["ci-robot"],
      skipLabel: "skip-preview",
      paths: ["src/**", "charts/**", "!**/*.md"],
    });
  });

  it("refuses path filters that are only exclusions, and a flag that is not one, naming the setting", () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };
    expect(problems({ PRBOX_PATHS: "!docs/**" })).toEqual([expect.stringMatching(/^PRBOX_PATHS: .*e\.g\. \*\*,!docs/)]);
    expect(problems({ PRBOX_SKIP_DRAFTS: "sometimes" })).toEqual(["PRBOX_SKIP_DRAFTS: expected true or false"]);
  });
});
