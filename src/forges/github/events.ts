import type { Context } from "probot";
import { PrboxError } from "../../errors.js";
import type { CommandComment } from "../../core/commands.js";
import type { HeadCommit, PullRequestEvent } from "../../core/events.js";
import type { PullRequestRef } from "../../core/forge.js";

type PullRequestPayload = Context<"pull_request">["payload"];
type CommentPayload = Context<"issue_comment.created">["payload"];

const ACTIONS = new Set<PullRequestEvent["action"]>([
  "opened",
  "reopened",
  "synchronize",
  "closed",
  "labeled",
  "unlabeled",
  "ready_for_review",
  "converted_to_draft",
]);

/** The installation a delivery came through: every API call for it is made as that installation. */
function installationOf(payload: { installation?: { id: number } | null }): string {
  const id = payload.installation?.id;
  if (id === undefined) {
    throw new PrboxError(
      "the delivery names no installation; prbox only serves repositories where the GitHub App is installed",
      { kind: "permanent" },
    );
  }
  return String(id);
}

export function prRef(
  payload: { repository: { full_name: string }; installation?: { id: number } | null },
  number: number,
): PullRequestRef {
  return { forge: "github", repo: payload.repository.full_name, pr: number, target: installationOf(payload) };
}

/** A `pull_request` delivery as a forge-neutral event, or null for actions prbox does not act on. */
export function pullRequestEvent(payload: PullRequestPayload): PullRequestEvent | null {
  const action = payload.action as PullRequestEvent["action"];
  if (!ACTIONS.has(action)) return null;
  const pr = payload.pull_request;
  const head: HeadCommit = {
    branch: pr.head.ref,
    sha: pr.head.sha,
    // A deleted fork leaves head.repo null; treat it as a fork (untrusted).
    fork: pr.head.repo === null || pr.head.repo.full_name !== pr.base.repo.full_name,
    labels: (pr.labels ?? []).map((label) => label.name),
    draft: pr.draft === true,
    // GitHub Apps (dependabot[bot], renovate[bot]) open PRs as users of type "Bot".
    ...(pr.user ? { author: { login: pr.user.login, bot: pr.user.type === "Bot" } } : {}),
  };
  return {
    kind: "pull_request",
    action,
    ref: prRef(payload, pr.number),
    head,
    merged: pr.merged === true,
    at: pr.updated_at,
  };
}

/** A comment on a PR as a command candidate, or null when it was made on a plain issue. */
export function commandComment(payload: CommentPayload): CommandComment | null {
  if (!payload.issue.pull_request) return null;
  const user = payload.comment.user ?? payload.sender;
  return {
    ref: prRef(payload, payload.issue.number),
    commentId: String(payload.comment.id),
    author: { id: String(user.id), login: user.login, bot: user.type === "Bot" || payload.sender.type === "Bot" },
    body: payload.comment.body,
    at: payload.comment.created_at,
    labels: [],
  };
}
