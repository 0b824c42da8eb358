import type { ForgeEnvironmentState, ForgeEnvironmentStatus } from "../../core/forge.js";
import { GitHubError, github } from "./errors.js";
import { NO_PLUGIN_RETRY, commitName, prName, type GitHubRepo } from "./repo.js";
import { cut } from "../text.js";

/**
 * The GitHub environment of a PR's preview: "prbox/pr-42". Deployments live in the repository,
 * so the PR number is unique there; the long prbox environment id goes into the payload.
 */
export function environmentName(pr: number): string {
  return `prbox/pr-${pr}`;
}

const DEFAULT_DESCRIPTIONS: Record<ForgeEnvironmentState, string> = {
  queued: "Waiting to deploy",
  in_progress: "Deploying",
  success: "Preview ready",
  failure: "Deploy failed",
  inactive: "Preview deleted",
};

interface StatusFields {
  state: ForgeEnvironmentState;
  description: string;
  log_url: string;
  environment_url?: string;
}

/**
 * Records the preview on GitHub: one Deployment per environment and SHA (found again on retries
 * and later states, never created twice), then a deployment status unless the latest one already
 * says the same. "inactive" marks the environment's latest deployment, whatever its SHA.
 */
export async function setDeploymentStatus(
  gh: GitHubRepo,
  status: ForgeEnvironmentStatus,
  logUrl: string,
): Promise<void> {
  const environment = environmentName(gh.pr);
  const deploymentId =
    status.state === "inactive"
      ? await latestDeployment(gh, environment)
      : await deploymentFor(gh, environment, status);
  if (deploymentId === undefined) {
    gh.log.debug({ environment }, "no deployment to mark inactive");
    return;
  }
  const fields: StatusFields = {
    state: status.state,
    description: cut(status.description || DEFAULT_DESCRIPTIONS[status.state], 140),
    log_url: logUrl,
    ...(status.url && status.state !== "inactive" ? { environment_url: status.url } : {}),
  };
  if (await alreadySays(gh, deploymentId, fields)) return;
  const { octokit, owner, repo } = gh;
  await github(`setting the deployment status of ${environment} on ${gh.fullName} to ${status.state}`, () =>
    octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: deploymentId, ...fields }),
  );
  gh.log.info({ deploymentId, state: status.state }, "set the deployment status");
}

/** The deployment of `environment` at `status.sha`: the newest existing one, else a new one. */
async function deploymentFor(gh: GitHubRepo, environment: string, status: ForgeEnvironmentStatus): Promise<number> {
  const { octokit, owner, repo } = gh;
  const what = `creating the deployment of ${environment} for ${commitName(gh, status.sha)}`;
  const { data: existing } = await github(what, () =>
    octokit.rest.repos.listDeployments({ owner, repo, sha: status.sha, environment, per_page: 1 }),
  );
  const found = existing[0];
  if (found) return found.id;
  const { data } = await github(what, () =>
    octokit.rest.repos.createDeployment({
      owner,
      repo,
      ref: status.sha,
      environment,
      description: cut(`Preview of ${prName(gh)}`, 140),
      transient_environment: true,
      production_environment: false,
      auto_merge: false,
      required_contexts: [],
      payload: { prbox: { environment: status.environment, pr: gh.pr } },
      request: NO_PLUGIN_RETRY,
    }),
  );
  // 202 with a message instead of a deployment happens only with auto_merge, which prbox turns off.
  if (!("id" in data))
    throw new GitHubError(`${what}: GitHub created none (${data.message ?? "no reason given"})`, { kind: "internal" });
  gh.log.info({ deploymentId: data.id, sha: status.sha }, "created a deployment");
  return data.id;
}

async function latestDeployment(gh: GitHubRepo, environment: string): Promise<number | undefined> {
  const { octokit, owner, repo } = gh;
  const { data } = await github(`finding the deployment of ${environment} on ${gh.fullName}`, () =>
    octokit.rest.repos.listDeployments({ owner, repo, environment, per_page: 1 }),
  );
  return data[0]?.id;
}

async function alreadySays(gh: GitHubRepo, deploymentId: number, fields: StatusFields): Promise<boolean> {
  const { octokit, owner, repo } = gh;
  const { data } = await github(`reading the deployment statuses on ${gh.fullName}`, () =>
    octokit.rest.repos.listDeploymentStatuses({ owner, repo, deployment_id: deploymentId, per_page: 1 }),
  );
  const last = data[0];
  return (
    last !== undefined &&
    last.state === fields.state &&
    last.description === fields.description &&
    (last.log_url ?? "") === fields.log_url &&
    (last.environment_url ?? "") === (fields.environment_url ?? "")
  );
}
