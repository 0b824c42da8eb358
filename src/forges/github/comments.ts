import { github } from "./errors.js";
import { NO_PLUGIN_RETRY, prName, type GitHubRepo } from "./repo.js";

/** Hidden in the rendered comment; how prbox finds its own comment again after a restart. */
export const STICKY_MARKER = "<!-- prbox:sticky -->";

/** GitHub refuses comment bodies over 65,536 characters. */
const MAX_BODY = 65_000;

interface IssueComment {
  id: number;
  body?: string;
  user: { login: string; type: string } | null;
}

/**
 * prbox's one comment on the PR: found by its marker (only among comments written by a bot, and
 * by `botLogin` when given), created when there is none, edited only when the text changed.
 * Creating is never retried blindly: a retry lists first and finds a comment that did get made.
 */
export async function upsertStickyComment(gh: GitHubRepo, body: string, botLogin?: string): Promise<void> {
  const text = stickyBody(body);
  const existing = await findStickyComment(gh, botLogin);
  const { octokit, owner, repo } = gh;
  if (!existing) {
    const { data } = await github(`posting the prbox comment on ${prName(gh)}`, () =>
      octokit.rest.issues.createComment({ owner, repo, issue_number: gh.pr, body: text, request: NO_PLUGIN_RETRY }),
    );
    gh.log.info({ commentId: data.id }, "posted the prbox comment");
    return;
  }
  if (sameText(existing.body ?? "", text)) {
    gh.log.debug({ commentId: existing.id }, "the prbox comment already says this");
    return;
  }
  await github(`editing the prbox comment on ${prName(gh)}`, () =>
    octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body: text }),
  );
  gh.log.info({ commentId: existing.id }, "edited the prbox comment");
}

/** The oldest comment carrying the marker written by prbox's bot, page by page until found. */
export async function findStickyComment(gh: GitHubRepo, botLogin?: string): Promise<IssueComment | undefined> {
  const { octokit, owner, repo } = gh;
  const isOurs = (comment: IssueComment) =>
    comment.user?.type === "Bot" &&
    (botLogin === undefined || comment.user.login === botLogin) &&
    (comment.body ?? "").includes(STICKY_MARKER);
  return github(`reading the comments of ${prName(gh)}`, async () => {
    const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, { owner, repo, issue_number: gh.pr, per_page: 100 });
    for await (const { data } of pages) {
      const found = data.find(isOurs);
      if (found) return found;
    }
    return undefined;
  });
}

/** The marker first, the body cut to what GitHub accepts (closing a code block the cut left open). */
export function stickyBody(body: string): string {
  const marked = body.includes(STICKY_MARKER) ? body : `${STICKY_MARKER}\n${body}`;
  if (marked.length <= MAX_BODY) return marked;
  const cut = marked.slice(0, MAX_BODY);
  const openFence = (cut.match(/^```/gm) ?? []).length % 2 === 1;
  return `${cut}${openFence ? "\n```" : ""}\n\n… (cut: the full text is longer than GitHub allows in a comment)`;
}

/** GitHub may hand a body back with CRLF line ends or without the trailing newline. */
function sameText(a: string, b: string): boolean {
  const normal = (text: string) => text.replace(/\r\n/g, "\n").trimEnd();
  return normal(a) === normal(b);
}
