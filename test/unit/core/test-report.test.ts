// The chart's tests as a reviewer meets them: on the ready comment's title line, in a table with
// the failing tests' last log lines (within the comment's size), and as the commit status
// "prbox/tests". Pure: built from a render and a deploy result.
import { describe, expect, it } from "vitest";
import type { TestResult } from "../../../src/cluster/index.js";
import { readySummary } from "../../../src/core/ready-summary.js";
import { commentBody } from "../../../src/core/report.js";
import { testsStatus } from "../../../src/core/test-report.js";
import type { RenderedEnvironment } from "../../../src/model.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const PHASES = { fetch: 48, render: 212, apply: 305, wait: 1420, test: 2210 };

const rendered: RenderedEnvironment = {
  environment: {
    id: "github-acme-shop-7",
    name: "shop",
    namespace: "acme-shop-pr-7",
    extraNamespaces: [],
    url: "https://pr-7.preview.example.com",
    mode: "pr",
    pr: { forge: "github", repo: "acme/shop", pr: 7, branch: "feature", sha: SHA },
  },
  boxes: ["web"],
  objects: [
    {
      object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" } },
      box: "web",
      source: "web/templates/settings.yaml",
      phase: "main",
      deletePolicies: [],
    },
  ],
  warnings: [],
};

function test(name: string, passed: boolean, detail: string, logs: TestResult["logs"] = []): TestResult {
  return {
    ref: { apiVersion: "v1", kind: "Pod", name, namespace: "acme-shop-pr-7" },
    box: "web",
    passed,
    detail,
    logs,
  };
}

function body(tests: TestResult[]): string {
  return commentBody({
    state: "ready",
    sha: SHA,
    url: rendered.environment.url,
    namespace: "acme-shop-pr-7",
    seconds: 4.2,
    summary: readySummary(rendered, { unchanged: [], pruned: [], tests }, PHASES),
  });
}

describe("the chart's tests in the ready comment", () => {
  it("are on the title line, in a table, and a failing test's log lines are in a collapsed section, inert", () => {
    const comment = body([
      test("web-test-connection", true, "succeeded"),
      test("web-test-login", false, "container check exited with code 1 (Error)", [
        { container: "check", text: "POST /login\n```\n@team 401 Unauthorized" },
      ]),
    ]);
    expect(comment.split("\n")[0]).toBe(
      "**prbox preview**: ✅ ready at https://pr-7.preview.example.com, ❌ 1 of 2 chart tests failed",
    );
    expect(comment).toContain("wait 1.4 s · tests 2.2 s) |");
    expect(comment.slice(comment.indexOf("**Tests**"))).toMatchInlineSnapshot(`
      "**Tests**: ❌ 1 of 2 chart tests failed.

      | test | box | result |
      |---|---|---|
      | \` Pod/web-test-connection \` | \` web \` | ✅ \` succeeded \` |
      | \` Pod/web-test-login \` | \` web \` | ❌ \` container check exited with code 1 (Error) \` |

      <details><summary>Last log lines of \` Pod/web-test-login \`</summary>

      \` check \`:

      \`\`\`\`text
      POST /login
      \`\`\`
      @team 401 Unauthorized
      \`\`\`\`

      </details>

      Comment \`/reload\` to rebuild it from scratch, \`/destroy\` to delete it."
    `);
  });

  it("says all passed, and nothing about tests when no box asked for them", () => {
    expect(body([test("a", true, "succeeded"), test("b", true, "succeeded")])).toContain(
      "ready at https://pr-7.preview.example.com, ✅ 2 chart tests passed\n",
    );
    const none = body([]);
    expect(none).not.toContain("Tests");
    expect(none).not.toContain("chart test");
    expect(none).toContain("wait 1.4 s) |");
  });

  it("keeps the failing tests' logs within a budget and says how many it left out", () => {
    const noisy = "x".repeat(5000);
    const logs = (n: number) => [{ container: "c", text: Array.from({ length: 20 }, () => noisy).join("\n") + n }];
    const tests = Array.from({ length: 40 }, (_, i) => test(`t-${String(i)}`, false, "exited 1", logs(i)));
    const comment = body(tests);
    expect(comment.length).toBeLessThan(20_000);
    expect(comment).toContain(`${"x".repeat(300)}…\n`);
    const shown = comment.split("<summary>Last log lines of").length - 1;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(40);
    expect(comment).toContain(`The logs of ${String(40 - shown)} more failing tests are left out`);
  });
});

describe("the commit status prbox/tests", () => {
  it("fails naming the failing tests, succeeds when all passed, and is absent without tests", () => {
    const url = "https://pr-7.preview.example.com";
    const summary = (tests: TestResult[]) => readySummary(rendered, { unchanged: [], pruned: [], tests }, PHASES);
    expect(testsStatus(summary([test("a", true, "succeeded"), test("b", false, "exited 1")]).tests, url)).toEqual({
      name: "tests",
      state: "failure",
      description: "1 of 2 failed: Pod/b",
      url,
    });
    expect(testsStatus(summary([test("a", true, "succeeded")]).tests, url)).toEqual({
      name: "tests",
      state: "success",
      description: "1 chart test passed",
      url,
    });
    expect(testsStatus(summary([]).tests, url)).toBeNull();
  });
});
