import { describe, expect, it } from "vitest";
import { loginMatcher, pathMatcher } from "../../../src/core/globs.js";

describe("path filters (GitHub Actions' paths syntax)", () => {
  const cases: [string[], string, boolean][] = [
    [["src/**"], "src/a.ts", true],
    [["src/**"], "src/deep/er/a.ts", true],
    [["src/**"], "srcs/a.ts", false],
    [["src/**"], "lib/src/a.ts", false],
    [["*.md"], "README.md", true],
    [["*.md"], "docs/guide.md", false],
    [["**/*.md"], "docs/guide.md", true],
    [["**/*.md"], "README.md", true],
    [["src/**/test.ts"], "src/test.ts", true],
    [["src/*.ts"], "src/a/b.ts", false],
    [["src/?.ts"], "src/a.ts", true],
    [["src/?.ts"], "src/ab.ts", false],
    [["/charts/**"], "charts/app/Chart.yaml", true],
    [["a.b"], "aXb", false],
    [["src/**", "!src/**/*.md"], "src/docs/a.md", false],
    [["src/**", "!src/**/*.md"], "src/a.ts", true],
    [["src/**", "!src/gen/**", "src/gen/keep.ts"], "src/gen/keep.ts", true],
    [["src/**", "!src/gen/**", "src/gen/keep.ts"], "src/gen/drop.ts", false],
    [["!docs/**"], "src/a.ts", false],
  ];
  it.each(cases)("%j on %s: %s", (patterns, file, expected) => {
    expect(pathMatcher(patterns)(file)).toBe(expected);
  });
});

describe("bot logins", () => {
  const cases: [string, boolean][] = [
    ["dependabot[bot]", true],
    ["renovate-bot", true],
    ["RENOVATE", true],
    ["renovate2", false],
    ["bot-builder", false],
    ["alice", false],
  ];
  it.each(cases)("%s: %s", (login, expected) => {
    expect(loginMatcher(["*[bot]", "*-bot", "renovate"])(login)).toBe(expected);
  });
});
