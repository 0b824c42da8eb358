import type { Logger } from "../../log.js";
import type { Forge, PullRequestRef } from "../../core/forge.js";
import type { GitLabClient } from "./client.js";
import { GitLabForge } from "./forge.js";

/**
 * The worker's way to the GitLab adapter. One token serves every project, so one adapter does
 * too (it keeps the token's user, asked once); the project comes from each ref.
 */
export function gitlabForgeFactory(
  client: GitLabClient,
  webUrl: string,
  log: Logger,
): (ref: PullRequestRef) => Promise<Forge> {
  const forge = new GitLabForge(client, { log, webUrl });
  return async () => forge;
}
