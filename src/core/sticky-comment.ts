import type { Forge, PullRequestRef } from "./forge.js";
import type { Logger } from "../log.js";

/** Hidden in the rendered comment; how prbox finds its own comment again after a restart. */
export const STICKY_MARKER = "<!-- prbox:sticky -->";

/** The sticky comment as prbox last wrote it. */
export interface StickyComment {
  id: string;
  body: string;
}

/**
 * prbox's one comment on the PR (a note on GitLab), the same protocol on every forge: found by
 * its marker among the comments prbox itself wrote (Forge.isOwnComment: a comment of another
 * bot or person carrying the marker is never taken), created when there is none, edited only
 * when the text changed. Creating is never retried blindly (the adapters send it once): a retry
 * lists first and finds a comment that did get made. Returns the comment as written.
 *
 * With `known` (what an earlier report of the same job wrote) the comment is edited without
 * listing the PR's comments first; if that edit fails (the comment was deleted meanwhile), it is
 * looked for as above.
 */
export async function upsertStickyComment(
  forge: Forge,
  ref: PullRequestRef,
  body: string,
  log: Logger,
  known?: StickyComment,
): Promise<StickyComment> {
  const text = stickyBody(body, forge.maxCommentLength);
  if (known) {
    if (sameText(known.body, text)) return known;
    try {
      await forge.updateComment(ref, known.id, text);
      log.info({ commentId: known.id }, "edited the prbox comment");
      return { id: known.id, body: text };
    } catch (error) {
      log.debug(
        { err: error, commentId: known.id },
        "could not edit the prbox comment written earlier; looking for it",
      );
    }
  }
  const existing = await findStickyComment(forge, ref);
  if (!existing) {
    const id = await forge.createComment(ref, text);
    log.info({ commentId: id }, "posted the prbox comment");
    return { id, body: text };
  }
  if (sameText(existing.body, text)) {
    log.debug({ commentId: existing.id }, "the prbox comment already says this");
    return existing;
  }
  await forge.updateComment(ref, existing.id, text);
  log.info({ commentId: existing.id }, "edited the prbox comment");
  return { id: existing.id, body: text };
}

/** The oldest comment carrying the marker that prbox wrote, page by page until found. */
export async function findStickyComment(
  forge: Forge,
  ref: PullRequestRef,
): Promise<{ id: string; body: string } | undefined> {
  for await (const comment of forge.comments(ref)) {
    if (comment.body.includes(STICKY_MARKER) && (await forge.isOwnComment(comment.author))) return comment;
  }
  return undefined;
}

/** The marker first, the whole cut to `max` characters (see fitComment). */
export function stickyBody(body: string, max: number): string {
  return fitComment(body.includes(STICKY_MARKER) ? body : `${STICKY_MARKER}\n${body}`, max);
}

/** A plain comment (not the sticky one), e.g. the answer to a command; cut like the sticky one. */
export async function replyOn(forge: Forge, ref: PullRequestRef, body: string): Promise<void> {
  await forge.createComment(ref, fitComment(body, forge.maxCommentLength));
}

const CUT_NOTE = "\n\n… (cut: the full text is longer than the forge allows in a comment)";

/**
 * `body` as it fits the forge's limit: cut, with a code block the cut left open closed again
 * (so the note after it is not shown as code), and a note that it was cut.
 */
export function fitComment(body: string, max: number): string {
  if (body.length <= max) return body;
  const cut = body.slice(0, Math.max(0, max - CUT_NOTE.length - 4));
  const openFence = (cut.match(/^```/gm) ?? []).length % 2 === 1;
  return `${cut}${openFence ? "\n```" : ""}${CUT_NOTE}`;
}

/** A forge may hand a body back with CRLF line ends or without the trailing newline. */
function sameText(a: string, b: string): boolean {
  const normal = (text: string) => text.replace(/\r\n/g, "\n").trimEnd();
  return normal(a) === normal(b);
}
