import type { MergeRequestNoteSchema } from "@gitbeaker/rest";
import type { PullRequestComment } from "../../core/forge.js";
import { gitlab } from "./errors.js";
import { isBotUsername } from "./events.js";
import { mrName, type GitLabMergeRequest } from "./project.js";

/** GitLab refuses notes over 1,000,000 characters. */
export const MAX_NOTE_LENGTH = 1_000_000;
const PER_PAGE = 100;

interface NotesPage {
  data: MergeRequestNoteSchema[];
  paginationInfo: { next: number | null };
}

/** The merge request's notes, oldest first, a page of 100 at a time; system notes left out. */
export async function* listNotes(mr: GitLabMergeRequest): AsyncIterable<PullRequestComment> {
  const { api, projectId, iid } = mr;
  for (let page: number | null = 1; page !== null;) {
    const current: number = page;
    const { data, paginationInfo }: NotesPage = await gitlab(`reading the notes of ${mrName(mr)}`, () =>
      api.MergeRequestNotes.all(projectId, iid, {
        sort: "asc",
        orderBy: "created_at",
        perPage: PER_PAGE,
        page: current,
        showExpanded: true,
      }),
    );
    for (const note of data) {
      if (!note.system)
        yield {
          id: String(note.id),
          body: note.body,
          author: { id: String(note.author.id), login: note.author.username, bot: isBotUsername(note.author.username) },
        };
    }
    page = paginationInfo.next;
  }
}

/** A new note, sent once (client.ts never repeats a POST after a 5xx: GitLab may have made it). */
export async function createNote(mr: GitLabMergeRequest, body: string): Promise<string> {
  const { api, projectId, iid } = mr;
  const note = await gitlab(`posting a note on ${mrName(mr)}`, () =>
    api.MergeRequestNotes.create(projectId, iid, body),
  );
  return String(note.id);
}

export async function updateNote(mr: GitLabMergeRequest, noteId: string, body: string): Promise<void> {
  const { api, projectId, iid } = mr;
  await gitlab(`editing the prbox note on ${mrName(mr)}`, () =>
    api.MergeRequestNotes.edit(projectId, iid, Number(noteId), { body }),
  );
}
