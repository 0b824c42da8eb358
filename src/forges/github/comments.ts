import type { PullRequestComment } from "../../core/forge.js";
import { github } from "./errors.js";
import { NO_PLUGIN_RETRY, prName, type GitHubRepo } from "./repo.js";

/** GitHub refuses comment bodies over 65,536 characters. */
export const MAX_COMMENT_LENGTH = 65_536;

interface IssueComment {
  id: number;
  body?: string;
  user: { id: number; login: string; type: string } | null;
}

/** The PR's comments, oldest first, a page of 100 at a time (src/core/sticky-comment.ts stops at what it looks for). */
export async function* listComments(gh: GitHubRepo): AsyncIterable<PullRequestComment> {
  const { octokit, owner, repo } = gh;
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number: gh.pr,
    per_page: 100,
  });
  const iterator = pages[Symbol.asyncIterator]();
  for (;;) {
    const page = await github(`reading the comments of ${prName(gh)}`, () => iterator.next());
    if (page.done) return;
    for (const comment of page.value.data as IssueComment[]) yield commentOf(comment);
  }
}

function commentOf(comment: IssueComment): PullRequestComment {
  const user = comment.user;
  return {
    id: String(comment.id),
    body: comment.body ?? "",
    author: { id: String(user?.id ?? ""), login: user?.login ?? "", bot: user?.type === "Bot" },
  };
}

/** A new comment on the PR, sent once (GitHub may have made it though the answer was a 5xx). */
export async function createComment(gh: GitHubRepo, body: string): Promise<string> {
  const { octokit, owner, repo } = gh;
  const { data } = await github(`posting a comment on ${prName(gh)}`, () =>
    octokit.rest.issues.createComment({ owner, repo, issue_number: gh.pr, body, request: NO_PLUGIN_RETRY }),
  );
  return String(data.id);
}

export async function updateComment(gh: GitHubRepo, commentId: string, body: string): Promise<void> {
  const { octokit, owner, repo } = gh;
  await github(`editing the prbox comment on ${prName(gh)}`, () =>
    octokit.rest.issues.updateComment({ owner, repo, comment_id: Number(commentId), body }),
  );
}
