import type { CommitStatus } from "../../core/forge.js";
import { github, statusOf } from "./errors.js";
import { commitName, NO_PLUGIN_RETRY, type GitHubRepo } from "./repo.js";
import { cut } from "../text.js";

/** The check run's name: the same as the commit status's context. */
export const CHECK_NAME = "prbox";
/** GitHub refuses a check run's output.summary over 65,535 characters. */
const MAX_SUMMARY = 65_535;
/** The runs one adapter (one job) wrote, by "owner/repo@sha": their ids, so a later report skips the lookup. */
export type CheckRunMemory = Map<string, number>;

/**
 * The check run "prbox" on `sha`, beside the commit status: the outcome, with the whole report
 * (the sticky comment's body) as its summary, on the PR's Checks tab. Written once a deploy ends
 * (ready, or failed for good: the statuses that carry a summary); while it runs, and for a PR
 * held without a preview, the commit status alone speaks. A deploy's reports
 * already take about seven writes of the installation's burst of eight (octokit.ts), so an
 * "in progress" run as well would hold the ready report back a second. One run per commit,
 * updated in place when the commit is deployed again; `appSlug` tells prbox's run from another
 * app's.
 */
export async function setCheckRun(
  gh: GitHubRepo,
  sha: string,
  status: CommitStatus,
  appSlug: string,
  known: CheckRunMemory,
): Promise<void> {
  const { summary } = status;
  if (status.state === "pending" || summary === undefined) return;
  const { octokit, owner, repo } = gh;
  const fields = {
    status: "completed" as const,
    conclusion: status.state === "success" ? ("success" as const) : ("failure" as const),
    ...(status.url ? { details_url: status.url } : {}),
    output: { title: cut(status.description, 200), summary: summaryOf(summary) },
  };
  const key = `${gh.fullName}@${sha}`;
  const id = known.get(key) ?? (await findRun(gh, sha, appSlug));
  if (id !== undefined) {
    try {
      await github(`updating the check run on ${commitName(gh, sha)}`, () =>
        octokit.rest.checks.update({ owner, repo, check_run_id: id, ...fields }),
      );
      return;
    } catch (error) {
      // Deleted with its check suite: create a new one.
      if (statusOf(error) !== 404) throw error;
    }
  }
  const { data } = await github(`creating the check run on ${commitName(gh, sha)}`, () =>
    octokit.rest.checks.create({ owner, repo, name: CHECK_NAME, head_sha: sha, ...fields, request: NO_PLUGIN_RETRY }),
  );
  known.set(key, data.id);
}

function summaryOf(text: string): string {
  const chars = Array.from(text);
  return chars.length <= MAX_SUMMARY
    ? text
    : `${chars.slice(0, MAX_SUMMARY - 40).join("")}\n\n… (cut: see the PR comment)`;
}

/** prbox's latest run on the commit, as GitHub lists it (none after a restart, or before the first report). */
async function findRun(gh: GitHubRepo, sha: string, appSlug: string): Promise<number | undefined> {
  const { octokit, owner, repo } = gh;
  const { data } = await github(`listing the check runs of ${commitName(gh, sha)}`, () =>
    octokit.rest.checks.listForRef({ owner, repo, ref: sha, check_name: CHECK_NAME, filter: "latest", per_page: 100 }),
  );
  const ours = data.check_runs.find((r) => r.app?.slug === appSlug);
  return ours?.id;
}
