import type { MergeRequestNoteSchema } from "@gitbeaker/rest";
import { gitlab } from "./errors.js";
import { mrName, type GitLabMergeRequest } from "./project.js";

/** Hidden in the rendered note; how prbox finds its own note again after a restart. */
export const STICKY_MARKER = "<!-- prbox:sticky -->";

/** GitLab refuses notes over 1,000,000 characters. */
const MAX_BODY = 999_000;
const PER_PAGE = 100;

interface NotesPage {
  data: MergeRequestNoteSchema[];
  paginationInfo: { next: number | null };
}

/**
 * prbox's one note on the merge request: found by its marker among the notes the token's user
 * wrote, created when there is none, edited only when the text changed. Creating is never
 * retried blindly (client.ts sends a POST once): a retry lists first and finds a note that did
 * get made.
 */
export async function upsertStickyNote(mr: GitLabMergeRequest, body: string): Promise<void> {
  const text = stickyBody(body);
  const existing = await findStickyNote(mr);
  const { api, projectId, iid } = mr;
  if (!existing) {
    const note = await gitlab(`posting the prbox note on ${mrName(mr)}`, () => api.MergeRequestNotes.create(projectId, iid, text));
    mr.log.info({ noteId: note.id }, "posted the prbox note");
    return;
  }
  if (sameText(existing.body, text)) {
    mr.log.debug({ noteId: existing.id }, "the prbox note already says this");
    return;
  }
  await gitlab(`editing the prbox note on ${mrName(mr)}`, () => api.MergeRequestNotes.edit(projectId, iid, existing.id, { body: text }));
  mr.log.info({ noteId: existing.id }, "edited the prbox note");
}

/** The oldest note carrying the marker written by the token's user, page by page until found. */
export async function findStickyNote(mr: GitLabMergeRequest): Promise<MergeRequestNoteSchema | undefined> {
  const me = await mr.self.get();
  const { api, projectId, iid } = mr;
  const isOurs = (note: MergeRequestNoteSchema) => !note.system && note.author.id === me.id && note.body.includes(STICKY_MARKER);
  return gitlab(`reading the notes of ${mrName(mr)}`, async () => {
    for (let page: number | null = 1; page !== null; ) {
      const { data, paginationInfo }: NotesPage = await api.MergeRequestNotes.all(projectId, iid, {
        sort: "asc",
        orderBy: "created_at",
        perPage: PER_PAGE,
        page,
        showExpanded: true,
      });
      const found = data.find(isOurs);
      if (found) return found;
      page = paginationInfo.next;
    }
    return undefined;
  });
}

/** A plain note on the merge request (not the sticky one), e.g. the answer to a refused command. */
export async function reply(mr: GitLabMergeRequest, body: string): Promise<void> {
  const { api, projectId, iid } = mr;
  await gitlab(`replying on ${mrName(mr)}`, () => api.MergeRequestNotes.create(projectId, iid, cutBody(body)));
}

/** The marker first, the body cut to what GitLab accepts (closing a code block the cut left open). */
export function stickyBody(body: string): string {
  return cutBody(body.includes(STICKY_MARKER) ? body : `${STICKY_MARKER}\n${body}`);
}

function cutBody(body: string): string {
  if (body.length <= MAX_BODY) return body;
  const cut = body.slice(0, MAX_BODY);
  const openFence = (cut.match(/^```/gm) ?? []).length % 2 === 1;
  return `${cut}${openFence ? "\n```" : ""}\n\n… (cut: the full text is longer than GitLab allows in a note)`;
}

/** GitLab may hand a body back with CRLF line ends or without the trailing newline. */
function sameText(a: string, b: string): boolean {
  const normal = (text: string) => text.replace(/\r\n/g, "\n").trimEnd();
  return normal(a) === normal(b);
}
