import type { CommitStatus, ForgeEnvironmentState } from "../forges/forge.js";

/** What prbox tells a PR about its environment, forge-neutral; adapters add their own markers. */
export type Report =
  | { state: "queued"; sha: string }
  | { state: "deploying"; sha: string; namespace: string | null }
  | { state: "ready"; sha: string; url: string | null; namespace: string; boxes: string[]; seconds: number }
  | { state: "failed"; sha: string; error: string; retrying: boolean }
  | { state: "waiting"; sha: string; reason: string }
  | { state: "destroyed"; reason: string };

const short = (sha: string) => `\`${sha.slice(0, 7)}\``;

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}text\n${text}\n${ticks}`;
}

/** The sticky comment's markdown for a report. */
export function commentBody(report: Report): string {
  const title = "**prbox preview**";
  switch (report.state) {
    case "queued":
      return `${title}: ⏳ queued, deploying ${short(report.sha)} shortly.`;
    case "deploying":
      return `${title}: 🚀 deploying ${short(report.sha)}${report.namespace ? ` to namespace \`${report.namespace}\`` : ""}…`;
    case "ready":
      return [
        `${title}: ✅ ready${report.url ? ` at ${report.url}` : ""}`,
        "",
        "| commit | namespace | boxes | deploy time |",
        "|---|---|---|---|",
        `| ${short(report.sha)} | \`${report.namespace}\` | ${report.boxes.join(", ")} | ${report.seconds.toFixed(1)} s |`,
        "",
        "Comment `/reload` to rebuild it from scratch, `/destroy` to delete it.",
      ].join("\n");
    case "failed":
      return [
        `${title}: ❌ deploying ${short(report.sha)} failed${report.retrying ? " (retrying)" : ""}.`,
        "",
        fence(report.error),
        "",
        "Fix it and push, or comment `/reload` to try again.",
      ].join("\n");
    case "waiting":
      return `${title}: ⏸ not deployed: ${report.reason}.`;
    case "destroyed":
      return `${title}: 🧹 environment deleted (${report.reason}).`;
  }
}

/** The commit status "prbox" for a report, or null when the report is not about a commit. */
export function commitStatus(report: Report): CommitStatus | null {
  switch (report.state) {
    case "queued":
    case "deploying":
      return { state: "pending", description: report.state === "queued" ? "Preview queued" : "Deploying the preview" };
    case "ready":
      return { state: "success", description: `Preview ready in ${report.seconds.toFixed(0)} s`, url: report.url };
    case "failed":
      return { state: "failure", description: firstLine(report.error) };
    case "waiting":
      return { state: "success", description: `Preview not deployed: ${report.reason}` };
    case "destroyed":
      return null;
  }
}

export function environmentState(report: Report): ForgeEnvironmentState | null {
  const states: Record<Report["state"], ForgeEnvironmentState | null> = {
    queued: "queued",
    deploying: "in_progress",
    ready: "success",
    failed: "failure",
    waiting: null,
    destroyed: "inactive",
  };
  return states[report.state];
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").slice(0, 140);
}
