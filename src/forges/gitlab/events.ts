import type { CommandComment } from "../../core/commands.js";
import type { HeadCommit, PullRequestEvent } from "../../core/events.js";
import type { PullRequestRef } from "../../core/forge.js";
import type { MergeRequestHook, MergeRequestNoteHook } from "./payloads.js";

/** What a delivery means to prbox, or why it means nothing (said in the 200 answer). */
export type Normalised<T> = { event: T } | { ignored: string };

/** The merge request a payload is about; `target` is the numeric project id every API call uses. */
export function mrRef(project: { id: number; path_with_namespace: string }, iid: number): PullRequestRef {
  return { forge: "gitlab", repo: project.path_with_namespace, pr: iid, target: String(project.id) };
}

const ACTIONS: Record<string, PullRequestEvent["action"]> = {
  open: "opened",
  reopen: "reopened",
  close: "closed",
  merge: "closed",
};

/**
 * A Merge Request Hook as a forge-neutral event. An `update` is a push only when it carries
 * `oldrev` (GitLab sends it only when the code changed); a draft change becomes
 * converted_to_draft or ready_for_review; a label change becomes labeled or unlabeled (for label
 * opt-in and the no-preview label); any other edit (title, description, reviewers) is ignored,
 * so it never redeploys.
 */
export function mergeRequestEvent(hook: MergeRequestHook): Normalised<PullRequestEvent> {
  const attributes = hook.object_attributes;
  const action = attributes.action === "update" ? updateAction(hook) : ACTIONS[attributes.action];
  if (action === undefined) return { ignored: `merge request action "${attributes.action}" needs no preview change` };
  if (action === null) return { ignored: "merge request edited without new commits" };
  const sha = attributes.last_commit?.id;
  if (!sha) return { ignored: "the merge request has no commit" };
  const head: HeadCommit = {
    branch: attributes.source_branch,
    sha,
    fork: attributes.source_project_id !== attributes.target_project_id,
    labels: attributes.labels,
    ...draftAndAuthor(hook),
  };
  return {
    event: {
      kind: "pull_request",
      action,
      ref: mrRef(hook.project, attributes.iid),
      head,
      merged: attributes.action === "merge",
      at: attributes.updated_at,
    },
  };
}

function updateAction(hook: MergeRequestHook): PullRequestEvent["action"] | null {
  if (hook.object_attributes.oldrev) return "synchronize";
  const draft = draftChange(hook);
  if (draft !== null) return draft ? "converted_to_draft" : "ready_for_review";
  const change = hook.changes?.labels;
  if (!change) return null;
  const added = change.current.some((label) => !change.previous.includes(label));
  const removed = change.previous.some((label) => !change.current.includes(label));
  if (added) return "labeled";
  return removed ? "unlabeled" : null;
}

/**
 * Whether the MR is a draft, and its author when the hook says: the hook names the author only
 * by id, and its `user` (who did what it reports) is the author on "open" and whenever the
 * author acts. Otherwise the author is left out, and prbox keeps what it knew.
 */
function draftAndAuthor(hook: MergeRequestHook): Pick<HeadCommit, "draft" | "author"> {
  const attributes = hook.object_attributes;
  const draft = attributes.draft ?? attributes.work_in_progress;
  const user = hook.user;
  const author =
    user && attributes.author_id === user.id ? { login: user.username, bot: isBotUsername(user.username) } : undefined;
  return { ...(typeof draft === "boolean" ? { draft } : {}), ...(author ? { author } : {}) };
}

/** GitLab's draft title prefixes ("Draft:", "[Draft]", "(Draft)"; "WIP:" and "[WIP]" of old). */
const DRAFT_TITLE = /^\s*(?:\[draft\]|\(draft\)|draft:|\[wip\]|wip:)/i;

/** True: the update made the MR a draft; false: marked it as ready; null: no draft change. */
function draftChange(hook: MergeRequestHook): boolean | null {
  const changes = hook.changes;
  const draft = changes?.draft;
  if (draft && typeof draft.current === "boolean" && draft.previous !== draft.current) return draft.current;
  const title = changes?.title;
  if (!title || changes.draft) return null;
  const [was, is] = [DRAFT_TITLE.test(title.previous ?? ""), DRAFT_TITLE.test(title.current ?? "")];
  return was === is ? null : is;
}

/**
 * The access-token users GitLab creates (project_123_bot_…, group_45_bot_…) and service
 * accounts: bots, whose notes are never commands.
 */
const BOT_USERNAME = /^(?:(?:project|group)_\d+_bot(?:_[0-9a-f]+)?\d*|service_account_.+)$/;

export function isBotUsername(username: string): boolean {
  return BOT_USERNAME.test(username);
}

/**
 * A Note Hook on a merge request as a command candidate (src/core/commands.ts decides the rest),
 * or why it is none: an edit (GitLab sends those since 16.11 and they must not run a command
 * twice) or a system note.
 */
export function commandNote(hook: MergeRequestNoteHook): Normalised<CommandComment> {
  const note = hook.object_attributes;
  if (note.action && note.action !== "create") return { ignored: "note edited, not new" };
  if (note.system) return { ignored: "system note" };
  return {
    event: {
      ref: mrRef(hook.project, hook.merge_request.iid),
      commentId: String(note.id),
      author: { id: String(hook.user.id), login: hook.user.username, bot: isBotUsername(hook.user.username) },
      body: note.note,
      labels: hook.merge_request.labels,
      at: note.created_at,
    },
  };
}
