import type { ProbotOctokit } from "probot";
import { PrboxError } from "../../errors.js";
import { rememberSuccess } from "../remembered.js";
import { github } from "./errors.js";

/** The GitHub App's bot account, "<slug>[bot]": the author of every comment prbox writes. */
export interface GitHubBot {
  login(): Promise<string>;
}

/**
 * The bot account of the app prbox runs as, asked once with `GET /app` (authenticated as the
 * app, not an installation) and kept; a failed lookup is forgotten, so the next call asks again.
 * The server and the worker both use it: the sticky comment is the one this account wrote.
 */
export function appBot(appOctokit: () => Promise<ProbotOctokit>): GitHubBot {
  return {
    login: rememberSuccess(async () => {
      const octokit = await appOctokit();
      const { data } = await github("finding out the GitHub App's bot account (GET /app)", () =>
        octokit.rest.apps.getAuthenticated(),
      );
      if (!data?.slug)
        throw new PrboxError("GitHub's answer to GET /app names no app slug; prbox cannot tell its own comments", {
          kind: "transient",
        });
      return `${data.slug}[bot]`;
    }),
  };
}
