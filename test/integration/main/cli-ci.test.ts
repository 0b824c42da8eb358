import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderSpec } from "../../../src/core/render-spec.js";
import { renderJson } from "../../../src/main/render-output.js";
import type { PrContext } from "../../../src/model.js";
import { prEnvironmentId, prRepoNamespace } from "../../../src/spec/naming.js";
import { cli } from "../../support/cli.js";
import { configMapChart, tempRepo } from "../../support/repo.js";

// The name shows which branch and commit the render used; no namespace: the bot makes it from the PR.
const spec = 'name = "${PRBOX_BRANCH} at ${PRBOX_SHA}"\n[[boxes]]\ntype = "helm"\nchart = "chart"\n';
const HEAD = "0123456789abcdef0123456789abcdef01234567";
const MERGE = "fedcba9876543210fedcba9876543210fedcba98";

/** What the bot renders for this PR: reconcile's renderSpec call with the PR's forge, repo, number, branch and head. */
async function botRender(root: string, pr: PrContext): Promise<unknown> {
  return JSON.parse(renderJson(await renderSpec({ file: "environment.toml", root, pr })));
}

async function ciRender(root: string, env: Record<string, string>, flags: string[] = []) {
  return cli(["render", "--ci", "-f", "environment.toml", "-o", "json", ...flags], { cwd: root, env });
}

async function repoWithEvent(event: unknown): Promise<{ root: string; eventPath: string }> {
  const root = await tempRepo({ ...configMapChart, "environment.toml": spec });
  const eventPath = path.join(root, "event.json");
  await writeFile(eventPath, JSON.stringify(event));
  return { root, eventPath };
}

describe("prbox render --ci in GitHub Actions", () => {
  const pullRequestEvent = {
    action: "synchronize",
    number: 42,
    pull_request: { number: 42, head: { ref: "feature/Login", sha: HEAD } },
  };

  it("renders what the bot renders for the pull request: same id, namespace and head commit", async () => {
    const { root, eventPath } = await repoWithEvent(pullRequestEvent);
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: "Acme/Shop",
      GITHUB_REF: "refs/pull/42/merge",
      GITHUB_SHA: MERGE, // the merge commit of a pull_request run: not what the bot deploys
      GITHUB_HEAD_REF: "feature/Login",
      GITHUB_EVENT_PATH: eventPath,
    };
    const result = await ciRender(root, env);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout) as { environment: { id: string; namespace: string; name: string } };
    expect(output.environment.id).toBe(prEnvironmentId("github", "Acme/Shop", 42));
    expect(output.environment.namespace).toBe(prRepoNamespace("github", "Acme/Shop", 42));
    expect(output.environment.name).toBe(`feature/Login at ${HEAD}`);
    expect(output).toEqual(
      await botRender(root, { forge: "github", repo: "Acme/Shop", pr: 42, branch: "feature/Login", sha: HEAD }),
    );
  });

  it("takes the number and the branch from the event file in a pull_request_target run", async () => {
    const { root, eventPath } = await repoWithEvent(pullRequestEvent);
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: "Acme/Shop",
      GITHUB_REF: "refs/heads/main",
      GITHUB_SHA: MERGE,
      GITHUB_EVENT_PATH: eventPath,
    };
    const result = await ciRender(root, env);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      await botRender(root, { forge: "github", repo: "Acme/Shop", pr: 42, branch: "feature/Login", sha: HEAD }),
    );
  });

  it("lets flags given on the command line win over the CI's variables", async () => {
    const { root, eventPath } = await repoWithEvent(pullRequestEvent);
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: "Acme/Shop",
      GITHUB_REF: "refs/pull/42/merge",
      GITHUB_HEAD_REF: "feature/Login",
      GITHUB_EVENT_PATH: eventPath,
    };
    const result = await ciRender(root, env, ["--pr", "7", "--sha", MERGE, "--repo", "acme/other"]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      await botRender(root, { forge: "github", repo: "acme/other", pr: 7, branch: "feature/Login", sha: MERGE }),
    );
  });

  it("exits 2 naming what is missing in a run that is not for a pull request", async () => {
    const { root, eventPath } = await repoWithEvent({ ref: "refs/heads/main", head_commit: { id: HEAD } });
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: "Acme/Shop",
      GITHUB_REF: "refs/heads/main",
      GITHUB_SHA: HEAD,
      GITHUB_EVENT_PATH: eventPath,
    };
    const result = await ciRender(root, env);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--ci: this GitHub Actions job is not for a pull request");
    expect(result.stderr).toContain(
      "GITHUB_REF (refs/pull/<N>/merge) or pull_request.number in the file at GITHUB_EVENT_PATH",
    );
    expect(result.stderr).toContain("GITHUB_HEAD_REF");
    expect(result.stderr).toContain("pull_request.head.sha");
    expect(result.stderr).toContain("or give --pr, --branch, --sha");
    expect(result.stdout).toBe("");
  });

  it("exits 2 when the event file is not JSON", async () => {
    const root = await tempRepo({ ...configMapChart, "environment.toml": spec, "event.json": "{not json" });
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: "Acme/Shop",
      GITHUB_EVENT_PATH: path.join(root, "event.json"),
    };
    const result = await ciRender(root, env);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`the event file GITHUB_EVENT_PATH=${path.join(root, "event.json")} is not JSON`);
  });
});

describe("prbox render --ci in GitLab CI", () => {
  const mergeRequestPipeline = {
    GITLAB_CI: "true",
    CI_PROJECT_PATH: "acme/platform/shop",
    CI_MERGE_REQUEST_PROJECT_PATH: "acme/platform/shop",
    CI_MERGE_REQUEST_IID: "17",
    CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "fix/Cart",
    CI_COMMIT_SHA: HEAD,
  };

  it("renders what the bot renders for the merge request: same id, namespace and head commit", async () => {
    const root = await tempRepo({ ...configMapChart, "environment.toml": spec });
    const result = await ciRender(root, mergeRequestPipeline);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout) as { environment: { id: string; namespace: string } };
    expect(output.environment.id).toBe(prEnvironmentId("gitlab", "acme/platform/shop", 17));
    expect(output.environment.namespace).toBe(prRepoNamespace("gitlab", "acme/platform/shop", 17));
    expect(output).toEqual(
      await botRender(root, { forge: "gitlab", repo: "acme/platform/shop", pr: 17, branch: "fix/Cart", sha: HEAD }),
    );
  });

  it("uses the merge request's project for a fork's pipeline and the source branch's head in a merged results pipeline", async () => {
    const root = await tempRepo({ ...configMapChart, "environment.toml": spec });
    const env = {
      ...mergeRequestPipeline,
      CI_PROJECT_PATH: "contributor/shop",
      CI_COMMIT_SHA: MERGE,
      CI_MERGE_REQUEST_SOURCE_BRANCH_SHA: HEAD,
    };
    const result = await ciRender(root, env);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      await botRender(root, { forge: "gitlab", repo: "acme/platform/shop", pr: 17, branch: "fix/Cart", sha: HEAD }),
    );
  });

  it("lets flags given on the command line win over the CI's variables", async () => {
    const root = await tempRepo({ ...configMapChart, "environment.toml": spec });
    const result = await ciRender(root, mergeRequestPipeline, ["--branch", "other", "--pr", "3"]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      await botRender(root, { forge: "gitlab", repo: "acme/platform/shop", pr: 3, branch: "other", sha: HEAD }),
    );
  });

  it("exits 2 naming the missing variables in a branch pipeline", async () => {
    const root = await tempRepo({ ...configMapChart, "environment.toml": spec });
    const env = { GITLAB_CI: "true", CI_PROJECT_PATH: "acme/platform/shop", CI_COMMIT_SHA: HEAD };
    const result = await ciRender(root, env);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      "--ci: this GitLab CI job is not for a pull request (missing: CI_MERGE_REQUEST_IID; CI_MERGE_REQUEST_SOURCE_BRANCH_NAME)",
    );
    expect(result.stderr).toContain('$CI_PIPELINE_SOURCE == "merge_request_event"');
    expect(result.stdout).toBe("");
  });
});

describe("prbox render --ci and --forge", () => {
  const flags = ["--repo", "acme/shop", "--pr", "5", "--branch", "main", "--sha", HEAD];

  it("takes the forge from the CI job when every other context flag is given", async () => {
    const root = await tempRepo({ ...configMapChart, "environment.toml": spec });
    const result = await ciRender(root, { GITLAB_CI: "true" }, flags);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      await botRender(root, { forge: "gitlab", repo: "acme/shop", pr: 5, branch: "main", sha: HEAD }),
    );
  });

  it("lets --forge win over the CI job's forge", async () => {
    const root = await tempRepo({ ...configMapChart, "environment.toml": spec });
    const result = await ciRender(root, { GITHUB_ACTIONS: "true" }, [...flags, "--forge", "gitlab"]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).environment.id).toBe(prEnvironmentId("gitlab", "acme/shop", 5));
  });
});

describe("prbox --ci outside CI", () => {
  it("exits 2 naming the variables that tell a CI job, for render, run and delete (before any cluster)", async () => {
    const root = await tempRepo({ ...configMapChart, "environment.toml": spec });
    for (const verb of ["render", "run", "delete"]) {
      const result = await cli([verb, "--ci", "-f", "environment.toml"], { cwd: root, env: {} });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(
        'error: --ci: this is not a GitHub Actions or GitLab CI job (neither GITHUB_ACTIONS nor GITLAB_CI is "true")',
      );
    }
  });

  it("needs no CI variables when every context flag is given", async () => {
    const root = await tempRepo({ ...configMapChart, "environment.toml": spec });
    const flags = ["--repo", "acme/shop", "--pr", "5", "--branch", "main", "--sha", HEAD];
    const result = await ciRender(root, {}, flags);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      await botRender(root, { forge: "github", repo: "acme/shop", pr: 5, branch: "main", sha: HEAD }),
    );
  });
});
