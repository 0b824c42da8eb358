import { costLine } from "./cost.js";
import { inlineCode, short } from "./markdown.js";
import type { Address, ReadySummary } from "./ready-summary.js";
import { testsHeadline, testsSection } from "./test-report.js";

/**
 * The object list's share of a comment: GitHub takes 65,536 characters, and the rest of the
 * comment (addresses, boxes) stays well under the remainder. Rows past it are counted, not listed.
 */
const OBJECT_LIST_BUDGET = 45_000;

interface ReadyReport {
  sha: string;
  url: string | null;
  namespace: string;
  seconds: number;
  summary: ReadySummary;
}

/** How the boxes of the environment's own repository are named in the "from" column (markdown). */
export interface ReadyWording {
  ownBoxes?: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A URL as a link when it is plain, as inert code when it holds anything markdown could read. */
function address(a: Address): string {
  if (a.url === null) return `(any host) ${code(a.path)}`;
  return /^[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+$/.test(a.url) ? a.url : inlineCode(a.url);
}

/** Box names and chart labels come from the repository: code spans keep them inert. */
const code = (text: string) => inlineCode(text).replace(/\|/g, "\\|");

/** The sticky comment for a ready environment (docs/architecture.md §1, step 6). */
export function readyBody(title: string, report: ReadyReport, wording: ReadyWording = {}): string {
  const { summary } = report;
  const { fetch, render, apply, wait, test } = summary.phases;
  const tests = summary.tests.length > 0 && test !== undefined ? ` · tests ${seconds(test)}` : "";
  return [
    `${title}: ✅ ready${report.url ? ` at ${report.url}` : ""}${testsHeadline(summary.tests)}`,
    "",
    "| commit | namespace | deploy time |",
    "|---|---|---|",
    `| ${short(report.sha)} | \`${report.namespace}\` | ${report.seconds.toFixed(1)} s (fetch ${seconds(fetch)} · render ${seconds(render)} · apply ${seconds(apply)} · wait ${seconds(wait)}${tests}) |`,
    "",
    `**Resources**: ${costLine(summary.requests, summary.prices)}.`,
    ...addresses(summary),
    "",
    ...boxes(summary, wording.ownBoxes ?? "this pull request"),
    "",
    ...objects(summary),
    ...testsSection(summary.tests),
    "",
    "Comment `/reload` to rebuild it from scratch, `/destroy` to delete it.",
  ].join("\n");
}

/** Each box with its charts and objects; with a "from" column when a box came from another repository. */
function boxes(summary: ReadySummary, own: string): string[] {
  const withFrom = summary.boxes.some((b) => b.from !== null);
  const from = ({ from: f }: ReadySummary["boxes"][number]) =>
    f === null ? own : `${code(f.repository)}${f.commit ? ` at ${short(f.commit)}` : ""}`;
  return [
    `| box | chart | objects |${withFrom ? " from |" : ""}`,
    `|---|---|---|${withFrom ? "---|" : ""}`,
    ...summary.boxes.map(
      (b) =>
        `| ${code(b.name)} | ${b.charts.length > 0 ? b.charts.map(code).join(", ") : "manifests"} | ${b.objects} |${withFrom ? ` ${from(b)} |` : ""}`,
    ),
  ];
}

function addresses(summary: ReadySummary): string[] {
  if (summary.addresses.length === 0) return [];
  return [
    "",
    "| address | service |",
    "|---|---|",
    ...summary.addresses.map((a) => `| ${address(a)} | ${code(a.service)} |`),
  ];
}

function objects(summary: ReadySummary): string[] {
  const unchanged = summary.objects.filter((o) => o.change === "unchanged").length;
  const counts = [
    `${summary.objects.length - unchanged} applied`,
    ...(unchanged > 0 ? [`${unchanged} unchanged`] : []),
    ...(summary.pruned > 0 ? [`${summary.pruned} pruned`] : []),
  ];
  const rows: string[] = [];
  let used = 0;
  for (const o of summary.objects) {
    const row = `| ${code(o.ref)} | ${code(o.box)} | ${o.change} |`;
    if (used + row.length + 1 > OBJECT_LIST_BUDGET) break;
    rows.push(row);
    used += row.length + 1;
  }
  const left = summary.objects.length - rows.length;
  return [
    `<details><summary>${summary.objects.length} objects, all ready (${counts.join(", ")})</summary>`,
    "",
    "| object | box | |",
    "|---|---|---|",
    ...rows,
    ...(left > 0 ? ["", `… and ${left} more, left out to keep this comment within the forge's size limit.`] : []),
    "",
    "</details>",
  ];
}
