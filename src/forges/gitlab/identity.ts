import type { GitLabClient } from "./client.js";
import { gitlab } from "./errors.js";
import { rememberSuccess } from "../remembered.js";

export interface GitLabUser {
  id: number;
  username: string;
}

/**
 * The user GITLAB_TOKEN acts as (a project or group access token's bot, or a person), asked
 * once with `GET /user` and kept: the sticky note is the one this user wrote, and notes by this
 * user are never taken for commands. A failed lookup is forgotten, so the next call asks again.
 */
export class TokenUser {
  readonly get: () => Promise<GitLabUser>;

  constructor(api: GitLabClient) {
    this.get = rememberSuccess(async () => {
      const user = await gitlab("finding out which user GITLAB_TOKEN belongs to", () => api.Users.showCurrentUser());
      return { id: user.id, username: user.username };
    });
  }
}
