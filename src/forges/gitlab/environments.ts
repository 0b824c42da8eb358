import type { CondensedEnvironmentSchema } from "@gitbeaker/rest";
import type { ForgeEnvironmentStatus } from "../../core/forge.js";
import { gitlab, statusOf } from "./errors.js";
import type { GitLabMergeRequest } from "./project.js";

type Environment = Pick<CondensedEnvironmentSchema, "id" | "name" | "state" | "external_url">;

/**
 * The GitLab environment of a merge request's preview: "prbox/mr-42". Environments live in the
 * project, so the iid is unique there; the "prbox/" folder groups them on the Environments page.
 */
export function environmentName(iid: number): string {
  return `prbox/mr-${iid}`;
}

/**
 * Records the preview on GitLab, idempotently: created when missing (with its URL once ready),
 * its URL updated when it changed, and on "inactive" stopped and deleted. A stopped environment
 * (left by an earlier close) is replaced when the MR deploys again: GitLab restarts an
 * environment only through a deployment of a pipeline, which prbox does not run.
 */
export async function setEnvironmentStatus(mr: GitLabMergeRequest, status: ForgeEnvironmentStatus): Promise<void> {
  const name = environmentName(mr.iid);
  let existing = await findEnvironment(mr, name);
  if (status.state === "inactive") {
    if (existing) await retire(mr, existing);
    return;
  }
  if (existing?.state === "stopped") {
    await retire(mr, existing);
    existing = undefined;
  }
  const url = status.state === "success" ? (status.url ?? undefined) : undefined;
  if (!existing) {
    await create(mr, name, url);
    return;
  }
  if (url !== undefined && existing.external_url !== url) {
    const { api, projectId } = mr;
    await gitlab(`setting the URL of the environment ${name} on ${mr.path}`, () =>
      api.Environments.edit(projectId, existing.id, { externalUrl: url }),
    );
    mr.log.info({ environmentId: existing.id, url }, "updated the environment's URL");
  }
}

async function findEnvironment(mr: GitLabMergeRequest, name: string): Promise<Environment | undefined> {
  const { api, projectId } = mr;
  const found = await gitlab(`finding the environment ${name} on ${mr.path}`, () =>
    api.Environments.all(projectId, { name }),
  );
  return found.find((environment) => environment.name === name);
}

async function create(mr: GitLabMergeRequest, name: string, url: string | undefined): Promise<void> {
  const { api, projectId } = mr;
  const created = await gitlab(`creating the environment ${name} on ${mr.path}`, () =>
    api.Environments.create(projectId, name, { tier: "development", ...(url ? { externalUrl: url } : {}) }),
  );
  mr.log.info({ environmentId: created.id, url }, "created the environment");
}

/** Stops (unless stopped) and deletes the environment; one already gone is done. */
async function retire(mr: GitLabMergeRequest, environment: Environment): Promise<void> {
  const { api, projectId } = mr;
  const what = `deleting the environment ${environment.name} on ${mr.path}`;
  try {
    if (environment.state !== "stopped") await gitlab(what, () => api.Environments.stop(projectId, environment.id));
    await gitlab(what, () => api.Environments.remove(projectId, environment.id));
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
  mr.log.info({ environmentId: environment.id }, "stopped and deleted the environment");
}
