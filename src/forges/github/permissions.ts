import { github, statusOf } from "./errors.js";
import type { GitHubRepo } from "./repo.js";

/** Roles that may run /deploy, /reload, /destroy: the ones that can push to the repository. */
const WRITERS = new Set(["admin", "maintain", "write"]);

/**
 * Whether `user` may run commands, asked through the API (never from a payload's
 * `author_association`). `permission` is the legacy base role (maintain shows as write);
 * `role_name` names the real role. Not a collaborator (404) is a plain no.
 */
export async function canWrite(gh: GitHubRepo, user: string): Promise<boolean> {
  const { octokit, owner, repo } = gh;
  try {
    const { data } = await github(`checking ${user}'s permission on ${gh.fullName}`, () =>
      octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: user }),
    );
    return WRITERS.has(data.permission) || WRITERS.has(data.role_name);
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw error;
  }
}
