import type { Policy } from "../config/config.js";
import type { ChecksEvent, CommandEvent, ForgeEvent, PullRequestEvent } from "./events.js";
import type { DesiredState } from "./desired.js";
import { unwanted, wantedFacts, withPullRequestFacts, type WantedPolicy } from "./wanted.js";

type GatePolicy = Pick<Policy, "requiredLabel" | "deployForks"> &
  Partial<Pick<Policy, "requiredChecks">> &
  WantedPolicy;

/**
 * What an event means for an environment's desired state: a pure function, so duplicate and
 * out-of-order deliveries are harmless (an event older than the last one applied is ignored,
 * and nothing but a newer reopen brings a closed PR's environment back).
 * Returns the next state, or `current` itself when the event changes nothing.
 */
export function nextDesired(
  current: DesiredState | null,
  event: ForgeEvent,
  envId: string,
  policy: GatePolicy,
): DesiredState | null {
  // Checks are matched by commit, not by time: a check suite may finish "before" a PR edit.
  if (event.kind === "checks") return current ? afterChecks(current, event, policy) : null;
  if (current && event.at < current.eventAt) return current;
  // A command on a PR prbox never saw (installed after it opened, or Redis was wiped) starts from its head.
  if (event.kind === "command") return afterCommand(current ?? base(null, event, envId), event, policy);
  return afterPullRequest(current, event, envId, policy);
}

function base(current: DesiredState | null, event: PullRequestEvent | CommandEvent, envId: string): DesiredState {
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
    ...wantedFacts(current, event.head),
    reloadRequest: current?.reloadRequest ?? 0,
    ...idleFacts(current),
    forkApprovedSha: current?.forkApprovedSha ?? null,
    handledCommands: current?.handledCommands ?? [],
    checksPassedSha: current?.checksPassedSha ?? null,
    eventAt: event.at,
    generation: current?.generation ?? 0,
  };
}

/** What the idle countdowns carry across events: /keep and /extend hold while the PR is open, across pushes. */
function idleFacts(current: DesiredState | null): Partial<DesiredState> {
  return {
    keep: current?.keep ?? false,
    keepUntil: current?.keepUntil ?? null,
    warnedFor: current?.warnedFor ?? null,
    wokeAt: current?.wokeAt ?? null,
    // Every event is activity: a sleeping preview wakes (ADR 28).
    sleepSince: null,
  };
}

function afterPullRequest(
  current: DesiredState | null,
  event: PullRequestEvent,
  envId: string,
  policy: GatePolicy,
): DesiredState | null {
  // A close of a PR never seen leaves a tombstone: an older "opened" delivered after it must not deploy.
  if (event.action === "closed")
    return { ...base(current, event, envId), action: "destroy", waitReason: null, closed: true };
  if (!current && (event.action === "labeled" || event.action === "unlabeled") && !policy.requiredLabel) return null;
  // A closed PR's environment comes back only through a reopen, never through a late push or label.
  const reopening = event.action === "reopened" || event.action === "opened";
  if (current?.closed && !reopening) return current;
  const next = { ...base(current, event, envId), closed: false };
  // Back to draft: a preview that runs stays and its comment still links it; new commits wait.
  if (current && event.action === "converted_to_draft") return next;
  const forkPinned = next.fork && !policy.deployForks;
  if (!forkPinned) next.sha = event.head.sha;
  return gate(withPullRequestFacts(next, current, event, policy), event.head.labels, policy);
}

/** Decides deploy or wait for a PR carrying `labels`. */
function gate(next: DesiredState, labels: readonly string[], policy: GatePolicy): DesiredState {
  const skip = unwanted(next, policy);
  if (skip) return { ...next, action: skip.tearDown ? "destroy" : "wait", waitReason: skip.reason };
  if (policy.requiredLabel && !labels.includes(policy.requiredLabel)) {
    return { ...next, action: "wait", waitReason: `add the label \`${policy.requiredLabel}\` to deploy a preview` };
  }
  if (next.fork && !policy.deployForks && next.forkApprovedSha === null) {
    return {
      ...next,
      action: "wait",
      waitReason: "this pull request comes from a fork: a maintainer can deploy it with `/deploy`",
    };
  }
  const checks = policy.requiredChecks ?? [];
  if (checks.length > 0 && next.checksPassedSha !== next.sha) {
    return {
      ...next,
      action: "wait",
      waitReason: `waiting for the checks ${checks.join(", ")} to pass on \`${next.sha.slice(0, 7)}\``,
    };
  }
  return { ...next, action: "deploy", waitReason: null };
}

/** Required checks settled on a commit: deploy it if it is the one wanted and they passed. */
function afterChecks(current: DesiredState, event: ChecksEvent, policy: GatePolicy): DesiredState {
  if (current.closed || current.action === "destroy" || event.sha !== current.sha) return current;
  if (!event.passed) return { ...current, action: "wait", waitReason: event.summary };
  return gate({ ...current, checksPassedSha: event.sha }, current.labels, policy);
}

function afterCommand(current: DesiredState, event: CommandEvent, policy: GatePolicy): DesiredState {
  // A redelivered comment must not rebuild twice: each command comment counts once.
  if (current.closed || current.handledCommands.includes(event.commentId)) return current;
  const handledCommands = [...current.handledCommands, event.commentId].slice(-20);
  const next = { ...current, eventAt: event.at, handledCommands, expired: false, sleepSince: null };
  switch (event.command) {
    case "destroy":
      return { ...next, action: "destroy", waitReason: null };
    case "keep":
      return { ...next, keep: true };
    case "wake":
      // Any command wakes a sleeping preview (sleepSince is cleared above); /wake does only that.
      return next;
    case "extend": {
      // At least `extendMs` from the command; an earlier, longer extension stands.
      const wanted = Date.parse(event.at) + (event.extendMs ?? 0);
      const earlier = current.keepUntil ? Date.parse(current.keepUntil) : 0;
      return { ...next, keepUntil: new Date(Math.max(wanted, earlier)).toISOString() };
    }
    case "reload": {
      // Rebuild at the current head; a fork keeps the SHA a maintainer approved.
      const sha = next.fork && !policy.deployForks ? next.sha : event.head.sha;
      // Labels come from pull_request events; a comment does not carry them.
      return { ...gate({ ...next, sha }, current.labels, policy), reloadRequest: current.reloadRequest + 1 };
    }
    case "deploy":
      // A maintainer vouches for the head as it is now: pin it, label, fork and checks notwithstanding,
      // and wants this PR's previews: drafts, bot authors, path filters and the no-preview label no longer hold it back.
      return {
        ...next,
        optedIn: true,
        sha: event.head.sha,
        branch: event.head.branch,
        forkApprovedSha: event.head.sha,
        checksPassedSha: event.head.sha,
        action: "deploy",
        waitReason: null,
      };
  }
}
