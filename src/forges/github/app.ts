import type { ApplicationFunction, Context, ProbotOctokit } from "probot";
import { intake, type IntakeDeps, type IntakeResult } from "../../core/intake.js";
import { parseCommand, type ChecksEvent, type CommandEvent, type CommandName } from "../events.js";
import type { Forge, PullRequestRef } from "../forge.js";
import { pullRequestsAt, requiredChecks } from "./checks.js";
import { commentTarget, prRef, pullRequestEvent } from "./events.js";
import { checkPayload, checkSuitePayload, commentPayload, pullRequestPayload, statusPayload } from "./payloads.js";

export interface GitHubAppDeps {
  intake: IntakeDeps;
  /** The GitHub adapter for a delivery's installation-authenticated client. */
  forgeFor(octokit: ProbotOctokit): Forge;
  /** Counts deliveries by event and result, for /metrics. */
  onDelivery?(event: string, result: IntakeResult | "ignored" | "refused"): void;
}

const PULL_REQUEST_EVENTS = [
  "pull_request.opened",
  "pull_request.reopened",
  "pull_request.synchronize",
  "pull_request.closed",
  "pull_request.labeled",
  "pull_request.unlabeled",
] as const;

/**
 * The Probot app: each delivery is verified by Probot (X-Hub-Signature-256), normalised, stored
 * as the environment's desired state and enqueued; nothing else happens on the webhook path
 * except, for commands, the permission check and the head lookup that /deploy must pin.
 */
export function githubApp(deps: GitHubAppDeps): ApplicationFunction {
  return (app) => {
    app.on([...PULL_REQUEST_EVENTS], async (context) => {
      checkPayload(pullRequestPayload, context.payload, "pull_request");
      const event = pullRequestEvent(context.payload);
      const result = event ? await intake(event, context.id, deps.intake) : "ignored";
      // Checks may have finished before this push was seen: look once, so the PR is not stuck waiting.
      if (event && event.action !== "closed") await checkGate(context.octokit, event.ref, event.head.sha, `${context.id}:checks`, deps);
      deps.onDelivery?.("pull_request", result);
    });
    app.on("check_suite.completed", async (context) => {
      checkPayload(checkSuitePayload, context.payload, "check_suite");
      const suite = context.payload.check_suite;
      for (const pr of suite.pull_requests ?? []) {
        await checkGate(context.octokit, prRef(context.payload, pr.number), suite.head_sha, `${context.id}:${pr.number}`, deps);
      }
      deps.onDelivery?.("check_suite", "queued");
    });
    app.on("status", async (context) => {
      checkPayload(statusPayload, context.payload, "status");
      if (context.payload.state === "pending" || (deps.intake.policy.requiredChecks ?? []).length === 0) return;
      for (const number of await pullRequestsAt(context.octokit, context.payload.repository.full_name, context.payload.sha)) {
        await checkGate(context.octokit, prRef(context.payload, number), context.payload.sha, `${context.id}:${number}`, deps);
      }
      deps.onDelivery?.("status", "queued");
    });
    app.on("issue_comment.created", async (context) => {
      deps.onDelivery?.("issue_comment", await handleComment(context, deps));
    });
  };
}

async function handleComment(context: Context<"issue_comment.created">, deps: GitHubAppDeps): Promise<IntakeResult | "ignored" | "refused"> {
  checkPayload(commentPayload, context.payload, "issue_comment");
  const target = commentTarget(context.payload);
  const command = target && !target.isBot ? parseCommand(target.body) : null;
  if (!target || !command) return "ignored";
  const forge = deps.forgeFor(context.octokit);
  // Asked through the API: author_association does not say whether the user may write.
  if (!(await forge.canWrite(target.ref, target.user))) {
    await forge.acknowledge(target.ref, target.commentId, "-1");
    await forge.reply(target.ref, refusal(target.user, command));
    return "refused";
  }
  const pr = await forge.pullRequest(target.ref);
  if (pr.state === "closed") {
    await forge.acknowledge(target.ref, target.commentId, "-1");
    await forge.reply(target.ref, closedReply(target.user, command));
    return "refused";
  }
  const event: CommandEvent = {
    kind: "command",
    command,
    ref: target.ref,
    user: target.user,
    commentId: target.commentId,
    head: { branch: pr.headBranch, sha: pr.headSha, fork: pr.fork, labels: [] },
    at: target.at,
  };
  const result = await intake(event, context.id, deps.intake);
  if (result !== "duplicate") await forge.acknowledge(target.ref, target.commentId, "+1");
  return result;
}

/** With PRBOX_REQUIRED_CHECKS, tells the core when a commit's required checks settled. */
async function checkGate(octokit: ProbotOctokit, ref: PullRequestRef, sha: string, deliveryId: string, deps: GitHubAppDeps): Promise<void> {
  const required = deps.intake.policy.requiredChecks ?? [];
  if (required.length === 0) return;
  const verdict = await requiredChecks(octokit, ref.repo, sha, required);
  if (!verdict.settled) return;
  const event: ChecksEvent = { kind: "checks", ref, sha, passed: verdict.passed, summary: verdict.summary, at: new Date().toISOString() };
  await intake(event, deliveryId, deps.intake);
}

export function closedReply(user: string, command: CommandName): string {
  return `@${user} this pull request is closed, so \`/${command}\` does nothing; reopen it to get a preview again.`;
}

function refusal(user: string, command: CommandName): string {
  return `@${user} thanks! Only people with write access to this repository can run \`/${command}\`; a maintainer can run it for you.`;
}
