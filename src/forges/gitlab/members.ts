import { gitlab, statusOf } from "./errors.js";
import type { GitLabMergeRequest } from "./project.js";

/** GitLab's Developer role: the lowest that may push to the project. */
export const DEVELOPER_ACCESS = 30;

/**
 * Whether `username` may run commands: Developer or higher on the project, counting roles
 * inherited from its groups, asked through the API. An unknown user or one who is no member
 * (404) is a plain no.
 */
export async function canWrite(mr: GitLabMergeRequest, username: string): Promise<boolean> {
  const { api, projectId } = mr;
  const what = `checking ${username}'s role on ${mr.path}`;
  const users = await gitlab(what, () => api.Users.all({ username }));
  const user = users.find((candidate) => candidate.username.toLowerCase() === username.toLowerCase());
  if (!user) return false;
  try {
    const member = await gitlab(what, () => api.ProjectMembers.show(projectId, user.id, { includeInherited: true }));
    return member.access_level >= DEVELOPER_ACCESS;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw error;
  }
}
