import { PrboxError } from "../../errors.js";
import type { Reaction } from "../../core/forge.js";
import { gitlab, statusOf } from "./errors.js";
import { mrName, type GitLabMergeRequest } from "./project.js";

/** prbox's reactions as GitLab's award emoji names. */
const EMOJI: Record<Reaction, string> = { "+1": "thumbsup", "-1": "thumbsdown", eyes: "eyes" };

/**
 * An award emoji on the command note. GitLab refuses an emoji the user already gave (404 "has
 * already been taken", 409 on some versions), so a repeat is done, not an error.
 */
export async function award(mr: GitLabMergeRequest, noteId: string, reaction: Reaction): Promise<void> {
  const id = Number(noteId);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new PrboxError(`"${noteId}" is not a GitLab note id`, { kind: "internal" });
  }
  const { api, projectId, iid } = mr;
  try {
    await gitlab(`awarding :${EMOJI[reaction]}: to note ${id} on ${mrName(mr)}`, () =>
      api.MergeRequestNoteAwardEmojis.award(projectId, iid, id, EMOJI[reaction]),
    );
  } catch (error) {
    const status = statusOf(error);
    if (status !== 404 && status !== 409) throw error;
    mr.log.debug({ noteId: id, emoji: EMOJI[reaction] }, "the award emoji was already given");
  }
}
