// The life of a merge request's preview on GitLab: the shared suite
// (test/pipeline/lifecycle.suite.ts), what only GitLab's edge does end to end (a title edit is no
// push, X-Gitlab-Token, Idempotency-Key), and both forges served by one process.
import { describe, expect } from "vitest";
import { liveNamespace, namespaceExists } from "../github/support/cluster.js";
import { newSha, previewRepo } from "../github/support/sources.js";
import { stays } from "../github/support/wait.js";
import { openDeployed } from "../pipeline/flows.js";
import { lifecycleSuite } from "../pipeline/lifecycle.suite.js";
import { deliverToGitLabRoute } from "../pipeline/support/gitlab.js";

const it = lifecycleSuite("gitlab");

describe.concurrent("GitLab's edge, end to end", () => {
  it("redeploys nothing for an update without oldrev (a title edit): no download, no job, the note untouched", async ({
    t,
  }) => {
    const iid = 11;
    const sha = await openDeployed(t, iid);
    const project = [...t.gitlab.projects.values()].find((p) => p.path === t.forge.repo);
    if (!project) throw new Error("the test's project is missing from the fake");
    const edits = t.forge.stickyComments(iid)[0]?.history.length;
    const statuses = t.forge.statusesOf(sha).length;

    project.editTitle(iid, "Preview me, with a better title");
    const answer = await t.deliver(t.forge.pullRequestEvent(iid, "synchronize"));

    expect(answer.body).toContain("edited without new commits");
    await stays(
      "nothing is queued for the merge request",
      async () => !(await t.prbox.pendingJobs()).includes(t.forge.environmentId(iid)),
      {
        forMs: 1500,
        check: () => t.forge.assertNoProblems(),
      },
    );
    expect(t.forge.downloads()).toEqual([sha]);
    expect(t.forge.stickyComments(iid)[0]?.history).toHaveLength(edits ?? -1);
    expect(t.forge.statusesOf(sha)).toHaveLength(statuses);
    expect((await liveNamespace(t.kube, t.forge.namespace(iid)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(sha);
  });

  it("answers 401 to a delivery with a wrong X-Gitlab-Token and stores, queues and deploys nothing", async ({ t }) => {
    const iid = 12;
    const sha = newSha();
    await t.forge.push(sha, await previewRepo());
    t.forge.open(iid, { ref: "feature/forged", sha });
    const project = [...t.gitlab.projects.values()].find((p) => p.path === t.forge.repo);
    const body = project?.mergeRequestHook(iid, "open");

    const answer = await deliverToGitLabRoute(t.prbox, "Merge Request Hook", body, {
      token: `${t.prbox.gitlab.secret}x`,
    });

    expect(answer.status).toBe(401);
    expect(await t.prbox.rt.store.getDesired(t.forge.environmentId(iid))).toBeNull();
    expect(await t.prbox.pendingJobs()).not.toContain(t.forge.environmentId(iid));
    await stays(
      "nothing reaches GitLab or the cluster",
      async () => t.forge.downloads().length === 0 && !(await namespaceExists(t.kube, t.forge.namespace(iid))),
      { forMs: 1000 },
    );
    expect(t.forge.stickyComments(iid)).toEqual([]);
  });

  it("processes a delivery GitLab sends twice with the same Idempotency-Key once: one deploy, one note", async ({
    t,
  }) => {
    const iid = 13;
    const sha = newSha();
    await t.forge.push(sha, await previewRepo());
    t.forge.open(iid, { ref: "feature/twice", sha });
    const delivery = t.forge.pullRequestEvent(iid, "opened");

    const first = await t.deliver(delivery);
    const again = await t.deliver(delivery, { id: first.id });

    expect(first.body.trim()).toBe("opened: queued");
    expect(again.body.trim()).toBe("opened: duplicate");
    await t.until("the note says ready", () => t.sticky(iid).includes("✅ ready"), { state: () => t.sticky(iid) });
    await t.settled();
    expect(t.forge.downloads()).toEqual([sha]);
    expect(t.forge.stickyComments(iid)).toHaveLength(1);
    expect((await t.prbox.rt.store.getDesired(t.forge.environmentId(iid)))?.generation).toBe(1);
  });
});

describe("both forges in one process", () => {
  it("deploys a GitHub pull request and a GitLab merge request side by side, each reported on its own forge", async ({
    t,
  }) => {
    const github = t.another("github");
    const [onGitLab, onGitHub] = [newSha(), newSha()];
    await t.forge.push(onGitLab, await previewRepo());
    await github.push(onGitHub, await previewRepo());
    t.forge.open(7, { ref: "feature/gitlab-side", sha: onGitLab });
    github.open(7, { ref: "feature/github-side", sha: onGitHub });

    await Promise.all([
      t.deliver(t.forge.pullRequestEvent(7, "opened")),
      t.deliver(github.pullRequestEvent(7, "opened")),
    ]);

    const ready = (sticky: string) => sticky.includes("✅ ready");
    await t.until("both say ready", () => ready(t.sticky(7)) && ready(github.stickyComments(7)[0]?.body ?? ""), {
      state: () => [t.sticky(7), github.stickyComments(7)[0]?.body],
    });
    await t.settled();
    expect(t.forge.environmentId(7)).not.toBe(github.environmentId(7));
    expect(t.forge.namespace(7)).not.toBe(github.namespace(7));
    for (const [forge, sha] of [
      [t.forge, onGitLab],
      [github, onGitHub],
    ] as const) {
      const ns = await liveNamespace(t.kube, forge.namespace(7));
      expect(ns?.metadata?.labels?.["prbox.dev/forge"]).toBe(forge.name);
      expect(ns?.metadata?.annotations?.["prbox.dev/sha"]).toBe(sha);
      expect(forge.downloads()).toEqual([sha]);
      expect(forge.statusesOf(sha).at(-1)?.state).toBe("success");
      expect(forge.environment(7).state).toBe("ready");
    }
  });
});
