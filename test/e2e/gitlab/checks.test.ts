// PRBOX_REQUIRED_CHECKS on GitLab, end to end: the required check is the CI job `build-image`.
// Pipeline Hooks from the fake GitLab's pipelines, the real queue, helm and test cluster.
import { describe, expect } from "vitest";
import { liveNamespace, namespaceExists } from "../github/support/cluster.js";
import { newSha, previewRepo } from "../github/support/sources.js";
import { deliverToGitLabRoute } from "../pipeline/support/gitlab.js";
import { usePipeline, type PipelineTest } from "../pipeline/support/pipeline.js";
import type { FakePipeline, FakeProject } from "../../support/fake-gitlab.js";

const it = usePipeline("gitlab", { env: { PRBOX_REQUIRED_CHECKS: "build-image" } });

function projectOf(t: PipelineTest): FakeProject {
  const project = [...t.gitlab.projects.values()].find((p) => p.path === t.forge.repo);
  if (!project) throw new Error("the test's project is missing from the fake");
  return project;
}

/** GitLab tells prbox that the pipeline's status changed. */
async function pipelineHook(t: PipelineTest, project: FakeProject, pipeline: FakePipeline): Promise<string> {
  const answer = await deliverToGitLabRoute(t.prbox, "Pipeline Hook", project.pipelineHook(pipeline));
  expect(answer.status, answer.body).toBe(200);
  return answer.body.trim();
}

async function ready(t: PipelineTest, iid: number, sha: string): Promise<void> {
  await t.until("the note says ready", () => t.sticky(iid).includes("✅ ready"), { state: () => t.sticky(iid) });
  await t.settled();
  expect((await liveNamespace(t.kube, t.forge.namespace(iid)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(sha);
  expect(t.forge.downloads()).toEqual([sha]);
}

describe.concurrent("required jobs on GitLab (PRBOX_REQUIRED_CHECKS), end to end", () => {
  it("waits for the merge request pipeline's build-image job, says so on the note, and deploys once it succeeded", async ({
    t,
  }) => {
    const iid = 31;
    const sha = newSha();
    const project = projectOf(t);
    await t.forge.push(sha, await previewRepo());
    t.forge.open(iid, { ref: "feature/gated", sha });

    await t.deliver(t.forge.pullRequestEvent(iid, "opened"));
    await t.until(
      "the note says what it waits for",
      () => t.sticky(iid).includes("waiting for the checks build-image to pass"),
      { state: () => t.sticky(iid) },
    );
    const pipeline = project.runPipeline(sha, {
      mergeRequest: iid,
      jobs: { "build-image": "running", unit: "created" },
    });
    expect(await pipelineHook(t, project, pipeline)).toBe(`ignored: pipeline ${pipeline.id}: waiting for build-image`);
    await t.settled();
    expect(t.forge.downloads()).toEqual([]);
    expect(await namespaceExists(t.kube, t.forge.namespace(iid))).toBe(false);

    project.setJob(pipeline, "build-image", "success");
    expect(await pipelineHook(t, project, pipeline)).toBe(`checks passed: !${iid} queued`);
    await ready(t, iid, sha);
  });

  it("deploys a merge request opened after its branch pipeline passed: the Pipeline Hook came first, the head's jobs are read", async ({
    t,
  }) => {
    const iid = 32;
    const sha = newSha();
    const project = projectOf(t);
    await t.forge.push(sha, await previewRepo());
    const pipeline = project.runPipeline(sha, { ref: "feature/early", jobs: { "build-image": "success" } });

    expect(await pipelineHook(t, project, pipeline)).toBe(
      `ignored: pipeline ${pipeline.id} ran for no open merge request of ${project.path}`,
    );
    t.forge.open(iid, { ref: "feature/early", sha });
    const answer = await t.deliver(t.forge.pullRequestEvent(iid, "opened"));

    expect(answer.body.trim()).toBe("opened: queued; checks settled: queued");
    await ready(t, iid, sha);
  });

  it("says on the note that build-image failed in a branch pipeline, and deploys on a Maintainer's /deploy all the same", async ({
    t,
  }) => {
    const iid = 33;
    const sha = newSha();
    const project = projectOf(t);
    await t.forge.push(sha, await previewRepo());
    t.forge.open(iid, { ref: "feature/broken", sha });
    await t.deliver(t.forge.pullRequestEvent(iid, "opened"));

    const pipeline = project.runPipeline(sha, {
      ref: "feature/broken",
      jobs: { "build-image": "failed", publish: "skipped" },
    });
    expect(await pipelineHook(t, project, pipeline)).toBe(`checks failed: !${iid} queued`);
    await t.until(
      "the note says the job failed",
      () => t.sticky(iid).includes(`the check build-image failed on \`${sha.slice(0, 7)}\``),
      { state: () => t.sticky(iid) },
    );
    await t.settled();
    expect(t.forge.downloads()).toEqual([]);

    t.forge.setRole("maya", "maintain");
    await t.deliver(t.forge.commentEvent(iid, t.forge.comment(iid, "maya", "/deploy")));
    await ready(t, iid, sha);
  });
});
