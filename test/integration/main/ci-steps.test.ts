import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { renderSpec } from "../../../src/core/render-spec.js";
import { renderJson } from "../../../src/main/render-output.js";
import type { PrContext } from "../../../src/model.js";
import { prEnvironmentId, prRepoNamespace } from "../../../src/spec/naming.js";
import { testKubeconfig } from "../../support/cluster-fixtures.js";
import { cli } from "../../support/cli.js";
import { configMapChart, tempRepo } from "../../support/repo.js";

/**
 * The shipped GitHub Action (action.yml) and GitLab CI template (ci/gitlab/prbox.gitlab-ci.yml),
 * run as their CI would run them: the step's script, with the step's environment, by bash, in a
 * checkout of a repository, with the CI's variables set. `prbox` on PATH is this checkout's CLI
 * (the action's install step, which runs npm ci, is the one part not run here).
 */

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const HEAD = "0123456789abcdef0123456789abcdef01234567";
const spec = 'name = "${GREETING} ${TEAM} on ${PRBOX_BRANCH}"\n[[boxes]]\ntype = "helm"\nchart = "chart"\n';

interface StepResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a script as GitHub (bash --noprofile --norc -eo pipefail FILE) and GitLab (bash) run a step's. */
async function runScript(script: string, cwd: string, env: Record<string, string>): Promise<StepResult> {
  const file = path.join(env.RUNNER_TEMP ?? cwd, `step-${randomInt(1e9)}.sh`);
  await writeFile(file, script);
  return new Promise((resolve) => {
    execFile("bash", ["--noprofile", "--norc", "-eo", "pipefail", file], { cwd, env }, (error, stdout, stderr) => {
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A `prbox` command on PATH that runs this checkout's CLI, under the Node the project pins. */
async function prboxOnPath(dir: string): Promise<string> {
  const bin = path.join(dir, "bin");
  await mkdir(bin, { recursive: true });
  const tsx = path.join(repoRoot, "node_modules/.bin/tsx");
  await writeFile(
    path.join(bin, "prbox"),
    `#!/bin/sh\nexec "${tsx}" "${path.join(repoRoot, "src/main/bin.ts")}" "$@"\n`,
  );
  await chmod(path.join(bin, "prbox"), 0o755);
  return [bin, path.join(repoRoot, "node_modules/.bin"), process.env.PATH].join(path.delimiter);
}

async function checkout(): Promise<{ root: string; temp: string; PATH: string }> {
  const root = await tempRepo({ ...configMapChart, "environment.toml": spec });
  const temp = path.join(root, ".runner-temp");
  await mkdir(temp);
  return { root, temp, PATH: await prboxOnPath(temp) };
}

/** The process environment every step gets here: the pinned helm, a home, and prbox on PATH. */
function baseEnv(PATH: string, temp: string): Record<string, string> {
  return { PATH, HOME: temp, ...(process.env.HELM_BIN ? { HELM_BIN: process.env.HELM_BIN } : {}) };
}

async function botRender(root: string, pr: PrContext, set: Record<string, string>): Promise<unknown> {
  return JSON.parse(renderJson(await renderSpec({ file: "environment.toml", root, pr, set })));
}

// --- GitHub Action ---------------------------------------------------------------------------------

interface ActionStep {
  id?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  runs: { using: string; steps: ActionStep[] };
}

/** The action's prbox step, with `${{ inputs.NAME }}` in its env evaluated as GitHub does (given, else the default). */
async function actionStep(inputs: Record<string, string>): Promise<{ script: string; env: Record<string, string> }> {
  const action = parse(await readFile(path.join(repoRoot, "action.yml"), "utf8")) as Action;
  expect(action.runs.using).toBe("composite");
  const step = action.runs.steps.find((s) => s.id === "prbox");
  if (!step?.run) throw new Error("action.yml has no step with id prbox and a run script");
  for (const name of Object.keys(inputs)) expect(Object.keys(action.inputs)).toContain(name);
  const env = Object.fromEntries(
    Object.entries(step.env ?? {}).map(([key, value]) => [
      key,
      value.replace(/\$\{\{(.*?)\}\}/g, (_, expression: string) => {
        const name = /^\s*inputs\.([\w-]+)\s*$/.exec(expression)?.[1];
        if (name === undefined)
          throw new Error(`action.yml step env ${key}: this test evaluates only inputs.*, not ${expression}`);
        return inputs[name] ?? action.inputs[name]?.default ?? "";
      }),
    ]),
  );
  return { script: step.run, env };
}

async function githubJob(root: string, temp: string, pr: number): Promise<Record<string, string>> {
  const eventPath = path.join(temp, "event.json");
  await writeFile(
    eventPath,
    JSON.stringify({ number: pr, pull_request: { number: pr, head: { ref: "feature/ci", sha: HEAD } } }),
  );
  return {
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: "acme/shop",
    GITHUB_REF: `refs/pull/${pr}/merge`,
    GITHUB_HEAD_REF: "feature/ci",
    GITHUB_SHA: "fedcba9876543210fedcba9876543210fedcba98",
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_WORKSPACE: root,
    GITHUB_ACTION_PATH: repoRoot,
    RUNNER_TEMP: temp,
  };
}

describe("the GitHub Action (action.yml)", () => {
  it("renders what the bot renders for the pull request, with the inputs' variables and flags", async () => {
    const { root, temp, PATH } = await checkout();
    const step = await actionStep({
      command: "render",
      set: "GREETING=hello there\n\n  TEAM=blue  \n",
      args: "-o json",
    });
    const result = await runScript(step.script, root, {
      ...baseEnv(PATH, temp),
      ...(await githubJob(root, temp, 42)),
      ...step.env,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout) as { environment: { id: string; namespace: string; name: string } };
    expect(output.environment.id).toBe(prEnvironmentId("github", "acme/shop", 42));
    expect(output.environment.namespace).toBe(prRepoNamespace("github", "acme/shop", 42));
    expect(output.environment.name).toBe("hello there blue on feature/ci");
    const bot = await botRender(
      root,
      { forge: "github", repo: "acme/shop", pr: 42, branch: "feature/ci", sha: HEAD },
      { GREETING: "hello there", TEAM: "blue" },
    );
    expect(output).toEqual(bot);
  });

  it("deploys with command run and deletes with command delete, with the kubeconfig input", async () => {
    const { root, temp, PATH } = await checkout();
    const pr = randomInt(100_000, 999_999);
    const kubeconfig = await readFile(testKubeconfig(), "utf8");
    const step = await actionStep({ set: "GREETING=hi\nTEAM=red", kubeconfig, timeout: "60s" });
    const result = await runScript(step.script, root, {
      ...baseEnv(PATH, temp),
      ...(await githubJob(root, temp, pr)),
      ...step.env,
    });
    const id = prEnvironmentId("github", "acme/shop", pr);
    try {
      expect(result.stderr).toContain(
        `deploying ${id} (1 objects) to namespace ${prRepoNamespace("github", "acme/shop", pr)}`,
      );
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(
        `environment ${id} is ready in namespace ${prRepoNamespace("github", "acme/shop", pr)}`,
      );
      const deleteStep = await actionStep({
        command: "delete",
        set: "GREETING=hi\nTEAM=red",
        kubeconfig,
        timeout: "60s",
      });
      const deleted = await runScript(deleteStep.script, root, {
        ...baseEnv(PATH, temp),
        ...(await githubJob(root, temp, pr)),
        ...deleteStep.env,
      });
      expect(deleted.status).toBe(0);
      expect(deleted.stdout).toBe(
        `environment ${id}: deleted namespace ${prRepoNamespace("github", "acme/shop", pr)}\n`,
      );
    } finally {
      await cli(["delete", "environment", id, "--kubeconfig", testKubeconfig()], { cwd: root });
    }
  });

  it("fails the step with exit status 2 and the missing variables on a push", async () => {
    const { root, temp, PATH } = await checkout();
    const step = await actionStep({ command: "render" });
    const job: Record<string, string> = {
      ...(await githubJob(root, temp, 1)),
      GITHUB_REF: "refs/heads/main",
      GITHUB_HEAD_REF: "",
    };
    await writeFile(job.GITHUB_EVENT_PATH as string, JSON.stringify({ ref: "refs/heads/main" }));
    const result = await runScript(step.script, root, { ...baseEnv(PATH, temp), ...job, ...step.env });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--ci: this GitHub Actions job is not for a pull request");
    expect(result.stderr).toContain("pull_request.head.sha in the file at GITHUB_EVENT_PATH");
  });

  it("refuses a command other than run, render or delete", async () => {
    const { root, temp, PATH } = await checkout();
    const step = await actionStep({ command: "destroy" });
    const result = await runScript(step.script, root, {
      ...baseEnv(PATH, temp),
      ...(await githubJob(root, temp, 1)),
      ...step.env,
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toContain("::error::prbox action: command must be run, render or delete, not 'destroy'");
  });
});

// --- GitLab CI template -----------------------------------------------------------------------------

interface Template {
  variables: Record<string, { value: string }>;
  ".prbox": { script: string[]; rules: { if: string }[] };
}

/** The template's job script and its variables (the template's values, overridden as a project's job does). */
async function gitlabJob(overrides: Record<string, string>): Promise<{ script: string; env: Record<string, string> }> {
  const template = parse(await readFile(path.join(repoRoot, "ci/gitlab/prbox.gitlab-ci.yml"), "utf8")) as Template;
  expect(template[".prbox"].rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
  for (const name of Object.keys(overrides)) expect(Object.keys(template.variables)).toContain(name);
  const defaults = Object.fromEntries(Object.entries(template.variables).map(([key, v]) => [key, v.value]));
  return { script: template[".prbox"].script.join("\n"), env: { ...defaults, ...overrides } };
}

function mergeRequestPipeline(root: string, iid: number): Record<string, string> {
  return {
    GITLAB_CI: "true",
    CI_PIPELINE_SOURCE: "merge_request_event",
    CI_PROJECT_DIR: root,
    CI_PROJECT_PATH: "acme/platform/shop",
    CI_MERGE_REQUEST_PROJECT_PATH: "acme/platform/shop",
    CI_MERGE_REQUEST_IID: String(iid),
    CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "fix/cart",
    CI_COMMIT_SHA: HEAD,
  };
}

describe("the GitLab CI template (ci/gitlab/prbox.gitlab-ci.yml)", () => {
  it("renders what the bot renders for the merge request, with the variables' values and flags", async () => {
    const { root, temp, PATH } = await checkout();
    const job = await gitlabJob({
      PRBOX_CI_COMMAND: "render",
      PRBOX_CI_SET: "GREETING=hi\nTEAM=green\n",
      PRBOX_CI_ARGS: "-o json",
    });
    const result = await runScript(job.script, root, {
      ...baseEnv(PATH, temp),
      ...mergeRequestPipeline(root, 17),
      ...job.env,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout) as { environment: { id: string; namespace: string } };
    expect(output.environment.id).toBe(prEnvironmentId("gitlab", "acme/platform/shop", 17));
    expect(output.environment.namespace).toBe(prRepoNamespace("gitlab", "acme/platform/shop", 17));
    const bot = await botRender(
      root,
      { forge: "gitlab", repo: "acme/platform/shop", pr: 17, branch: "fix/cart", sha: HEAD },
      { GREETING: "hi", TEAM: "green" },
    );
    expect(output).toEqual(bot);
  });

  it("deploys with the default command and deletes with delete, KUBECONFIG from a file variable", async () => {
    const { root, temp, PATH } = await checkout();
    const iid = randomInt(100_000, 999_999);
    const job = await gitlabJob({ PRBOX_CI_SET: "GREETING=hi\nTEAM=red", PRBOX_CI_TIMEOUT: "60s" });
    const env = {
      ...baseEnv(PATH, temp),
      ...mergeRequestPipeline(root, iid),
      ...job.env,
      KUBECONFIG: testKubeconfig(),
    };
    const result = await runScript(job.script, root, env);
    const id = prEnvironmentId("gitlab", "acme/platform/shop", iid);
    try {
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(
        `environment ${id} is ready in namespace ${prRepoNamespace("gitlab", "acme/platform/shop", iid)}`,
      );
      const deleted = await runScript(job.script, root, { ...env, PRBOX_CI_COMMAND: "delete" });
      expect(deleted.status).toBe(0);
      expect(deleted.stdout).toBe(
        `environment ${id}: deleted namespace ${prRepoNamespace("gitlab", "acme/platform/shop", iid)}\n`,
      );
    } finally {
      await cli(["delete", "environment", id, "--kubeconfig", testKubeconfig()], { cwd: root });
    }
  });

  it("fails the job with exit status 2 naming the missing variables in a branch pipeline", async () => {
    const { root, temp, PATH } = await checkout();
    const job = await gitlabJob({ PRBOX_CI_COMMAND: "render" });
    const branchPipeline = {
      GITLAB_CI: "true",
      CI_PIPELINE_SOURCE: "push",
      CI_PROJECT_PATH: "acme/platform/shop",
      CI_COMMIT_SHA: HEAD,
    };
    const result = await runScript(job.script, root, { ...baseEnv(PATH, temp), ...branchPipeline, ...job.env });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      "--ci: this GitLab CI job is not for a pull request (missing: CI_MERGE_REQUEST_IID; CI_MERGE_REQUEST_SOURCE_BRANCH_NAME)",
    );
  });
});
