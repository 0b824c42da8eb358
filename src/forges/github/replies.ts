import { PrboxError } from "../../errors.js";
import type { Reaction } from "../../core/forge.js";
import { github } from "./errors.js";
import { prName, type GitHubRepo } from "./repo.js";

/** A reaction on the command comment. GitHub answers 200 for one that exists: safe to repeat. */
export async function react(gh: GitHubRepo, commentId: string, reaction: Reaction): Promise<void> {
  const id = Number(commentId);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new PrboxError(`"${commentId}" is not a GitHub comment id`, { kind: "internal" });
  }
  const { octokit, owner, repo } = gh;
  await github(`reacting to comment ${id} on ${prName(gh)}`, () =>
    octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: id, content: reaction }),
  );
}
