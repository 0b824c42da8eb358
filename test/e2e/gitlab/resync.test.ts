// The resync on GitLab: the shared suite (test/pipeline/resync.suite.ts), and a gate whose
// webhook was missed: the pipeline that released a merge request finished while prbox was down.
import { expect, test } from "vitest";
import { liveNamespace } from "../github/support/cluster.js";
import { newSha, previewRepo } from "../github/support/sources.js";
import { installation, resyncSuite } from "../pipeline/resync.suite.js";

resyncSuite("gitlab");

test(
  "deploys a merge request whose required job passed while prbox was down (the Pipeline Hook never came)",
  { timeout: 300_000 },
  async () => {
    const t = await installation("gitlab", { PRBOX_REQUIRED_CHECKS: "build-image" });
    const project = [...t.gitlab.projects.values()].find((p) => p.path === t.forge().repo);
    if (!project) throw new Error("the test's project is missing from the fake");
    const sha = newSha();
    await t.forge().push(sha, await previewRepo());
    t.forge().open(1, { ref: "feature/gated", sha });
    const pipeline = project.runPipeline(sha, { mergeRequest: 1, jobs: { "build-image": "running" } });
    expect((await t.forge().pullRequestEvent(1, "opened").send()).status).toBe(200);
    await t.until(
      "the note says what it waits for",
      () => t.sticky(1).includes("waiting for the checks build-image to pass"),
      () => t.sticky(1),
    );
    await t.settled();
    await t.stop();

    project.setJob(pipeline, "build-image", "success");
    await t.start({ PRBOX_RESYNC_INTERVAL: "1h" });

    await t.until(
      "the note says ready",
      () => t.sticky(1).includes("✅ ready"),
      () => t.sticky(1),
    );
    await t.settled();
    expect((await liveNamespace(t.kube, t.forge().namespace(1)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(sha);
    expect(t.forge().downloads()).toEqual([sha]);
  },
);
