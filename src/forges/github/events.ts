import type { Context } from "probot";
import { PrboxError } from "../../errors.js";
import type { HeadCommit, PullRequestEvent } from "../events.js";
import type { PullRequestRef } from "../forge.js";

type PullRequestPayload = Context<"pull_request">["payload"];
type CommentPayload = Context<"issue_comment.created">["payload"];

const ACTIONS = new Set<PullRequestEvent["action"]>(["opened", "reopened", "synchronize", "closed", "labeled", "unlabeled"]);

/** The installation a delivery came through: every API call for it is made as that installation. */
function installationOf(payload: { installation?: { id: number } | null }): string {
  const id = payload.installation?.id;
  if (id === undefined) {
    throw new PrboxError("the delivery names no installation; prbox only serves repositories where the GitHub App is installed", { kind: "permanent" });
  }
  return String(id);
}

export function prRef(payload: { repository: { full_name: string }; installation?: { id: number } | null }, number: number): PullRequestRef {
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
  };
  return { kind: "pull_request", action, ref: prRef(payload, pr.number), head, merged: pr.merged === true, at: pr.updated_at };
}

/** The PR a comment was made on, or null when it was made on a plain issue. */
export function commentTarget(payload: CommentPayload): { ref: PullRequestRef; commentId: string; user: string; isBot: boolean; body: string; at: string } | null {
  if (!payload.issue.pull_request) return null;
  return {
    ref: prRef(payload, payload.issue.number),
    commentId: String(payload.comment.id),
    user: payload.comment.user?.login ?? payload.sender.login,
    isBot: payload.comment.user?.type === "Bot" || payload.sender.type === "Bot",
    body: payload.comment.body,
    at: payload.comment.created_at,
  };
}
