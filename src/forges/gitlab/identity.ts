import type { GitLabClient } from "./client.js";
import { gitlab } from "./errors.js";

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
  private user: Promise<GitLabUser> | undefined;

  constructor(private readonly api: GitLabClient) {}

  get(): Promise<GitLabUser> {
    this.user ??= gitlab("finding out which user GITLAB_TOKEN belongs to", () => this.api.Users.showCurrentUser()).then(
      (user) => ({ id: user.id, username: user.username }),
      (error: unknown) => {
        this.user = undefined;
        throw error;
      },
    );
    return this.user;
  }
}
