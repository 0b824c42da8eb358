import type { Probot } from "probot";
import type { Logger } from "../../log.js";
import type { Forge, PullRequestRef } from "../../core/forge.js";
import { GitHubForge } from "./forge.js";
import type { GitHubBot } from "./identity.js";

/** The worker's way to a GitHub adapter: an Octokit authenticated as the PR's installation. */
export function githubForgeFactory(
  probot: Probot,
  bot: GitHubBot,
  log: Logger,
): (ref: PullRequestRef) => Promise<Forge> {
  return async (ref) => new GitHubForge(await probot.auth(Number(ref.target)), bot, { log });
}
