import type { CommitStatus } from "./forge.js";
import { fence, inlineCode } from "./markdown.js";
import type { ChartTest } from "./ready-summary.js";

// How the chart's tests (a box's `tests = true`, src/cluster/tests.ts) reach the PR: a line in
// the ready comment's title, a table with the failing tests' last log lines, and the commit status
// "prbox/tests".

/** The failing tests' logs' share of a comment; the object list has its own (ready-body.ts). */
const LOG_BUDGET = 8_000;
/** A log line longer than this is cut: one minified line must not take the whole budget. */
const LINE_MAX = 300;

const cell = (text: string) => inlineCode(text).replace(/\|/g, "\\|");

function tally(tests: readonly ChartTest[]): { failed: ChartTest[]; text: string } {
  const failed = tests.filter((t) => !t.passed);
  const noun = tests.length === 1 ? "chart test" : "chart tests";
  const text =
    failed.length === 0 ? `✅ ${tests.length} ${noun} passed` : `❌ ${failed.length} of ${tests.length} ${noun} failed`;
  return { failed, text };
}

/** ", ❌ 1 of 3 chart tests failed" for the ready comment's first line; empty when no tests ran. */
export function testsHeadline(tests: readonly ChartTest[]): string {
  return tests.length === 0 ? "" : `, ${tally(tests).text}`;
}

function logLines(text: string): string {
  return text
    .split("\n")
    .map((line) => (line.length > LINE_MAX ? `${line.slice(0, LINE_MAX)}…` : line))
    .join("\n");
}

function logs(failed: readonly ChartTest[]): string[] {
  const out: string[] = [];
  let used = 0;
  let left = 0;
  for (const test of failed) {
    const block = test.logs.flatMap((l) => [`${inlineCode(l.container)}:`, "", fence(logLines(l.text)), ""]);
    const size = block.join("\n").length;
    if (block.length === 0) continue;
    if (used + size > LOG_BUDGET) {
      left++;
      continue;
    }
    used += size;
    out.push(`<details><summary>Last log lines of ${inlineCode(test.ref)}</summary>`, "", ...block, "</details>", "");
  }
  if (left > 0)
    out.push(`The logs of ${left} more failing tests are left out to keep this comment within its size.`, "");
  return out;
}

/** The ready comment's section on the chart's tests; nothing when no box asked for them. */
export function testsSection(tests: readonly ChartTest[]): string[] {
  if (tests.length === 0) return [];
  const { failed, text } = tally(tests);
  return [
    "",
    `**Tests**: ${text}.`,
    "",
    "| test | box | result |",
    "|---|---|---|",
    ...tests.map((t) => `| ${cell(t.ref)} | ${cell(t.box)} | ${t.passed ? "✅" : "❌"} ${cell(t.detail)} |`),
    "",
    ...logs(failed),
  ].slice(0, -1);
}

/** The commit status "prbox/tests" once a deploy ran tests; null when it ran none. */
export function testsStatus(tests: readonly ChartTest[], url: string | null): CommitStatus | null {
  if (tests.length === 0) return null;
  const { failed } = tally(tests);
  const description =
    failed.length === 0
      ? `${tests.length} chart ${tests.length === 1 ? "test" : "tests"} passed`
      : `${failed.length} of ${tests.length} failed: ${failed.map((t) => t.ref).join(", ")}`;
  return { name: "tests", state: failed.length === 0 ? "success" : "failure", description, url };
}
