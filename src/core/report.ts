import type { CommitStatus, ForgeEnvironmentState } from "./forge.js";
import { fence, inlineCode, short } from "./markdown.js";
import { readyBody, type ReadyWording } from "./ready-body.js";
import type { ReadySummary } from "./ready-summary.js";

/** What prbox tells a PR about its environment, forge-neutral; adapters add their own markers. */
export type Report =
  | { state: "queued"; sha: string }
  | { state: "ready"; sha: string; url: string | null; namespace: string; seconds: number; summary: ReadySummary }
  | { state: "failed"; sha: string; error: string; retry: Retry | null; deleting?: boolean; sleeping?: boolean }
  | { state: "sleeping"; since: string; urls: string[] }
  | { state: "waiting"; sha: string; reason: string }
  | { state: "destroyed"; reason: string; /** The PR is open: a push or /deploy brings it back. */ open?: boolean }
  | {
      state: "left";
      /** The host PR, as the forge links it. */
      host: string;
      reason: string;
      /** The host PR is closed too: the preview is deleted now. */
      last?: boolean;
    }
  | {
      state: "kept";
      /** The open PRs of its group the closed PR's preview goes on for, as the forge links them. */
      for: string[];
    };

/** The queue's next attempt after a transient failure (src/queue/worker.ts NextAttempt). */
export interface Retry {
  inMs: number;
  /** The number of the next attempt, and of all. */
  attempt: number;
  of: number;
}

/** The sticky comment's markdown for a report. */
export function commentBody(report: Report, wording?: ReadyWording): string {
  const title = "**prbox preview**";
  switch (report.state) {
    case "queued":
      return `${title}: ⏳ queued, deploying ${short(report.sha)} shortly.`;
    case "ready":
      return readyBody(title, report, wording);
    case "failed":
      return report.retry ? retrying(title, report, report.retry) : failed(title, report);
    case "waiting":
      return `${title}: ⏸ not deployed: ${report.reason}.`;
    case "sleeping":
      return sleeping(title, report);
    case "destroyed":
      return `${title}: 🧹 environment deleted (${report.reason}).${report.open ? " Push a commit or comment `/deploy` to deploy it again." : ""}`;
    case "kept":
      return `${title}: this pull request is closed; its preview goes on for ${report.for.join(", ")}, with this repository at its default branch, and is deleted when they close.`;
    case "left":
      return `${title}: 🧹 this pull request left the shared preview of ${report.host} (${report.reason}); ${report.last ? "that pull request is closed too, so the preview is deleted" : "it goes on without it"}.`;
  }
}

/** ADR 28: a sleeping preview says since when and how to wake it (a visit to any of its addresses does). */
function sleeping(title: string, report: { since: string; urls: string[] }): string {
  const since = new Date(report.since).toUTCString().replace(/:\d\d GMT$/, " UTC");
  const link = report.urls.length > 0 ? report.urls.map((url) => `<${url}>`).join(", ") : "the link";
  return [
    `${title}: 💤 sleeping since ${since}; push, comment \`/wake\` or open ${link} to wake it.`,
    "",
    "Nothing happened on this pull request for a while, so its workloads were scaled to zero; waking takes as long as a deploy.",
  ].join("\n");
}

type Failure = { sha: string; error: string; deleting?: boolean; sleeping?: boolean };

function retrying(title: string, report: Failure, retry: Retry): string {
  const [reason = "", ...more] = report.error.split("\n");
  const when = inSeconds(retry);
  const doing = report.deleting
    ? "Deleting the environment"
    : report.sleeping
      ? "Putting the preview to sleep"
      : `Deploying ${short(report.sha)}`;
  return [
    `${title}: ⏳ retrying in ${when} (attempt ${retry.attempt} of ${retry.of}): ${inlineCode(reason)}`,
    ...(more.length > 0 ? ["", fence(more.join("\n"))] : []),
    "",
    `${doing} failed for a reason that may pass; prbox tries again by itself.`,
  ].join("\n");
}

/** "16 s": whole seconds, rounded up (a wait of 300 ms is "1 s", never "0 s"). */
function inSeconds(retry: Retry): string {
  return `${Math.max(1, Math.ceil(retry.inMs / 1000))} s`;
}

function failed(title: string, report: Failure): string {
  const what = report.deleting
    ? "deleting the environment"
    : report.sleeping
      ? "putting the preview to sleep"
      : `deploying ${short(report.sha)}`;
  const next = report.deleting
    ? "Comment `/destroy` to try again."
    : report.sleeping
      ? "Some of its workloads may be scaled down already: comment `/wake` to wake it."
      : "Fix it and push, or comment `/reload` to try again.";
  return [`${title}: ❌ ${what} failed.`, "", fence(report.error), "", next].join("\n");
}

/** The commit status "prbox" for a report, or null when the report is not about a commit. */
export function commitStatus(report: Report): CommitStatus | null {
  switch (report.state) {
    case "queued":
      return { state: "pending", description: "Deploying the preview" };
    case "ready":
      return { state: "success", description: `Preview ready in ${report.seconds.toFixed(0)} s`, url: report.url };
    case "failed":
      // A teardown's or a sleep's failure is not the commit's; a retry keeps the commit pending.
      if (report.deleting || report.sleeping) return null;
      if (report.retry)
        return { state: "pending", description: `Retrying in ${inSeconds(report.retry)}: ${firstLine(report.error)}` };
      return { state: "failure", description: firstLine(report.error) };
    case "waiting":
      return { state: "success", description: `Preview not deployed: ${report.reason}` };
    case "destroyed":
    case "left":
    case "kept":
    case "sleeping":
      return null;
  }
}

export function environmentState(report: Report): ForgeEnvironmentState | null {
  // Retries and failed teardowns leave the deployment as it was: fewer writes while things are broken.
  if (report.state === "failed" && (report.retry || report.deleting || report.sleeping)) return null;
  const states: Record<Report["state"], ForgeEnvironmentState | null> = {
    // The queued report is the first sign of life, before anything else may fail: comment and
    // status only; the deployment is marked in progress once the cluster answered (reconcile.ts).
    queued: null,
    ready: "success",
    failed: "failure",
    waiting: null,
    // Asleep, the deployment's link still works: a visit wakes it.
    sleeping: null,
    destroyed: "inactive",
    left: null,
    kept: null,
  };
  return states[report.state];
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").slice(0, 140);
}
