import type { ApplicationFunction, Context, ProbotOctokit } from "probot";
import { handleCommand, type CommandResult } from "../../core/commands.js";
import { intake, type IntakeDeps } from "../../core/intake.js";
import { withChangedFiles } from "../../core/changed-files.js";
import type { ChecksEvent } from "../../core/events.js";
import type { Forge, PullRequestRef } from "../../core/forge.js";
import { pullRequestsAt, requiredChecks } from "./checks.js";
import { commandComment, prRef, pullRequestEvent } from "./events.js";
import { checkPayload, checkSuitePayload, commentPayload, pullRequestPayload, statusPayload } from "./payloads.js";

export interface GitHubAppDeps {
  intake: IntakeDeps;
  /** The GitHub adapter for a delivery's installation-authenticated client. */
  forgeFor(octokit: ProbotOctokit): Forge;
  /** Counts deliveries by event and result, for /metrics. */
  onDelivery?(event: string, result: CommandResult): void;
}

const PULL_REQUEST_EVENTS = [
  "pull_request.opened",
  "pull_request.reopened",
  "pull_request.synchronize",
  "pull_request.closed",
  "pull_request.labeled",
  "pull_request.unlabeled",
  "pull_request.ready_for_review",
  "pull_request.converted_to_draft",
] as const;

/**
 * The Probot app: each delivery is verified by Probot (X-Hub-Signature-256), normalised, stored
 * as the environment's desired state and enqueued; nothing else happens on the webhook path
 * except, for commands, what src/core/commands.ts asks of the forge (permission, the commit
 * /deploy pins).
 */
export function githubApp(deps: GitHubAppDeps): ApplicationFunction {
  return (app) => {
    app.on([...PULL_REQUEST_EVENTS], async (context) => {
      checkPayload(pullRequestPayload, context.payload, "pull_request");
      const normalised = pullRequestEvent(context.payload);
      const paths = deps.intake.policy.paths ?? [];
      const event =
        normalised && (await withChangedFiles(normalised, deps.forgeFor(context.octokit), paths, deps.intake.log));
      const result = event ? await intake(event, context.id, deps.intake) : "ignored";
      // Checks may have finished before this push was seen: look once, so the PR is not stuck waiting.
      if (event && event.action !== "closed")
        await checkGate(context.octokit, event.ref, event.head.sha, `${context.id}:checks`, deps);
      deps.onDelivery?.("pull_request", result);
    });
    app.on("check_suite.completed", async (context) => {
      checkPayload(checkSuitePayload, context.payload, "check_suite");
      const suite = context.payload.check_suite;
      for (const pr of suite.pull_requests ?? []) {
        await checkGate(
          context.octokit,
          prRef(context.payload, pr.number),
          suite.head_sha,
          `${context.id}:${pr.number}`,
          deps,
        );
      }
      deps.onDelivery?.("check_suite", "queued");
    });
    app.on("status", async (context) => {
      checkPayload(statusPayload, context.payload, "status");
      if (context.payload.state === "pending" || (deps.intake.policy.requiredChecks ?? []).length === 0) return;
      for (const number of await pullRequestsAt(
        context.octokit,
        context.payload.repository.full_name,
        context.payload.sha,
      )) {
        await checkGate(
          context.octokit,
          prRef(context.payload, number),
          context.payload.sha,
          `${context.id}:${number}`,
          deps,
        );
      }
      deps.onDelivery?.("status", "queued");
    });
    app.on("issue_comment.created", async (context) => {
      deps.onDelivery?.("issue_comment", await handleComment(context, deps));
    });
  };
}

async function handleComment(context: Context<"issue_comment.created">, deps: GitHubAppDeps): Promise<CommandResult> {
  checkPayload(commentPayload, context.payload, "issue_comment");
  const comment = commandComment(context.payload);
  if (!comment) return "ignored";
  return (await handleCommand(comment, deps.forgeFor(context.octokit), context.id, deps.intake, intake)).result;
}

/** With PRBOX_REQUIRED_CHECKS, tells the core when a commit's required checks settled. */
async function checkGate(
  octokit: ProbotOctokit,
  ref: PullRequestRef,
  sha: string,
  deliveryId: string,
  deps: GitHubAppDeps,
): Promise<void> {
  const required = deps.intake.policy.requiredChecks ?? [];
  if (required.length === 0) return;
  const verdict = await requiredChecks(octokit, ref.repo, sha, required);
  if (!verdict.settled) return;
  const event: ChecksEvent = {
    kind: "checks",
    ref,
    sha,
    passed: verdict.passed,
    summary: verdict.summary,
    at: new Date().toISOString(),
  };
  await intake(event, deliveryId, deps.intake);
}
