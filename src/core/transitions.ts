import type { Policy } from "../config/config.js";
import type { CommandEvent, ForgeEvent, HeadCommit, PullRequestEvent } from "../forges/events.js";
import type { DesiredState } from "./desired.js";

type GatePolicy = Pick<Policy, "requiredLabel" | "deployForks">;

/**
 * What an event means for an environment's desired state: a pure function, so duplicate and
 * out-of-order deliveries are harmless (an event older than the last one applied is ignored,
 * and nothing but a newer reopen brings a closed PR's environment back).
 * Returns the next state, or `current` itself when the event changes nothing.
 */
export function nextDesired(current: DesiredState | null, event: ForgeEvent, envId: string, policy: GatePolicy): DesiredState | null {
  if (current && event.at < current.eventAt) return current;
  // A command on a PR prbox never saw (installed after it opened, or Redis was wiped) starts from its head.
  if (event.kind === "command") return afterCommand(current ?? base(null, event, envId), event, policy);
  return afterPullRequest(current, event, envId, policy);
}

function base(current: DesiredState | null, event: ForgeEvent, envId: string): DesiredState {
  return {
    envId,
    ref: event.ref,
    branch: event.head.branch,
    sha: current?.sha ?? event.head.sha,
    action: current?.action ?? "wait",
    waitReason: current?.waitReason ?? null,
    fork: event.head.fork,
    closed: current?.closed ?? false,
    labels: event.head.labels,
    reloadRequest: current?.reloadRequest ?? 0,
    forkApprovedSha: current?.forkApprovedSha ?? null,
    eventAt: event.at,
    generation: current?.generation ?? 0,
  };
}

function afterPullRequest(current: DesiredState | null, event: PullRequestEvent, envId: string, policy: GatePolicy): DesiredState | null {
  if (event.action === "closed") {
    return current ? { ...base(current, event, envId), action: "destroy", waitReason: null, closed: true } : null;
  }
  if (!current && (event.action === "labeled" || event.action === "unlabeled") && !policy.requiredLabel) return null;
  // A closed PR's environment comes back only through a reopen, never through a late push or label.
  const reopening = event.action === "reopened" || event.action === "opened";
  if (current?.closed && !reopening) return current;
  const next = { ...base(current, event, envId), closed: false };
  const forkPinned = next.fork && !policy.deployForks;
  if (!forkPinned) next.sha = event.head.sha;
  return gate(next, event.head, policy);
}

/** Decides deploy or wait for a PR whose head is `head`. */
function gate(next: DesiredState, head: HeadCommit, policy: GatePolicy): DesiredState {
  if (policy.requiredLabel && !head.labels.includes(policy.requiredLabel)) {
    return { ...next, action: "wait", waitReason: `add the label \`${policy.requiredLabel}\` to deploy a preview` };
  }
  if (next.fork && !policy.deployForks && next.forkApprovedSha === null) {
    return { ...next, action: "wait", waitReason: "this pull request comes from a fork: a maintainer can deploy it with `/deploy`" };
  }
  return { ...next, action: "deploy", waitReason: null };
}

function afterCommand(current: DesiredState, event: CommandEvent, policy: GatePolicy): DesiredState {
  if (current.closed) return current;
  const next = { ...current, eventAt: event.at };
  switch (event.command) {
    case "destroy":
      return { ...next, action: "destroy", waitReason: null };
    case "reload": {
      // Rebuild at the current head; a fork keeps the SHA a maintainer approved.
      const sha = next.fork && !policy.deployForks ? next.sha : event.head.sha;
      return { ...gate({ ...next, sha }, event.head, policy), reloadRequest: current.reloadRequest + 1 };
    }
    case "deploy":
      // A maintainer vouches for the head as it is now: pin it, label or fork notwithstanding.
      return { ...next, sha: event.head.sha, branch: event.head.branch, forkApprovedSha: event.head.sha, action: "deploy", waitReason: null };
  }
}
