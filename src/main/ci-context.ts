import { readFile } from "node:fs/promises";
import { UsageError } from "./io.js";

/** The PR context fields `--ci` can fill, named as the context flags are (--forge, --repo, --pr, --branch, --sha). */
export const CI_FIELDS = ["forge", "repo", "pr", "branch", "sha"] as const;
export type CiField = (typeof CI_FIELDS)[number];

/** What a CI job says about its pull request: a value per field, or the variable(s) that would have given it. */
export interface CiContext {
  ci: string;
  /** What to change when the job is not for a pull request. */
  hint: string;
  values: Partial<Record<CiField, string>>;
  missing: Partial<Record<CiField, string>>;
}

type Env = Record<string, string | undefined>;

/** The CI system the job runs in, from the variables each sets to "true" in every job. */
export function detectCi(env: Env): "github" | "gitlab" | null {
  if (env.GITHUB_ACTIONS === "true") return "github";
  if (env.GITLAB_CI === "true") return "gitlab";
  return null;
}

/**
 * Reads the PR context the way the bot sees the same pull request: the base repository (the one
 * the PR is in, also for a fork's PR), the PR number, the head branch and the head commit.
 */
export async function readCiContext(forge: "github" | "gitlab", env: Env): Promise<CiContext> {
  return forge === "github" ? githubActions(env) : gitlabCi(env);
}

const given = (value: string | undefined): string | undefined =>
  value === undefined || value === "" ? undefined : value;

/**
 * GitHub Actions. In a pull_request workflow GITHUB_SHA is the merge commit GitHub made for the
 * run, not the PR's head, so the head commit comes from the event; GITHUB_REF is refs/pull/N/merge
 * there, but the base branch in pull_request_target, where only the event has the number.
 */
async function githubActions(env: Env): Promise<CiContext> {
  const event = await githubEvent(env);
  const pullRequest = event?.pull_request;
  const fromRef = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(env.GITHUB_REF ?? "")?.[1];
  const values: CiContext["values"] = {
    forge: "github",
    repo: given(env.GITHUB_REPOSITORY),
    pr: fromRef ?? scalar(pullRequest?.number),
    branch: given(env.GITHUB_HEAD_REF) ?? scalar(pullRequest?.head?.ref),
    sha: scalar(pullRequest?.head?.sha),
  };
  const missing = {
    repo: "GITHUB_REPOSITORY",
    pr: "GITHUB_REF (refs/pull/<N>/merge) or pull_request.number in the file at GITHUB_EVENT_PATH",
    branch: "GITHUB_HEAD_REF or pull_request.head.ref in the file at GITHUB_EVENT_PATH",
    sha: "pull_request.head.sha in the file at GITHUB_EVENT_PATH",
  };
  const hint = "run the workflow on pull_request (or pull_request_target) events";
  return { ci: "GitHub Actions", hint, values, missing: unset(values, missing) };
}

interface GithubEvent {
  pull_request?: { number?: unknown; head?: { ref?: unknown; sha?: unknown } };
}

async function githubEvent(env: Env): Promise<GithubEvent | null> {
  const file = given(env.GITHUB_EVENT_PATH);
  if (file === undefined) return null;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`--ci: cannot read the event file GITHUB_EVENT_PATH=${file}: ${(error as Error).message}`);
  }
  try {
    const event: unknown = JSON.parse(text);
    return typeof event === "object" && event !== null ? (event as GithubEvent) : null;
  } catch (error) {
    throw new UsageError(`--ci: the event file GITHUB_EVENT_PATH=${file} is not JSON: ${(error as Error).message}`);
  }
}

function scalar(value: unknown): string | undefined {
  return typeof value === "string" || typeof value === "number" ? given(String(value)) : undefined;
}

/**
 * GitLab CI, in a merge request pipeline. The bot knows a merge request by its target project, so
 * CI_MERGE_REQUEST_PROJECT_PATH wins over CI_PROJECT_PATH (they differ when a fork's pipeline runs
 * in the fork); in a merged results pipeline CI_COMMIT_SHA is the merge commit and the head is
 * CI_MERGE_REQUEST_SOURCE_BRANCH_SHA.
 */
function gitlabCi(env: Env): CiContext {
  const values: CiContext["values"] = {
    forge: "gitlab",
    repo: given(env.CI_MERGE_REQUEST_PROJECT_PATH) ?? given(env.CI_PROJECT_PATH),
    pr: given(env.CI_MERGE_REQUEST_IID),
    branch: given(env.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME),
    sha: given(env.CI_MERGE_REQUEST_SOURCE_BRANCH_SHA) ?? given(env.CI_COMMIT_SHA),
  };
  const missing = {
    repo: "CI_PROJECT_PATH",
    pr: "CI_MERGE_REQUEST_IID",
    branch: "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    sha: "CI_COMMIT_SHA",
  };
  const hint = 'run the job in merge request pipelines (rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event")';
  return { ci: "GitLab CI", hint, values, missing: unset(values, missing) };
}

function unset(
  values: CiContext["values"],
  variables: Record<Exclude<CiField, "forge">, string>,
): CiContext["missing"] {
  return Object.fromEntries(Object.entries(variables).filter(([field]) => values[field as CiField] === undefined));
}
