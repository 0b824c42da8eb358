// Deliveries as GitHub really sends them: in bursts, twice, and while a deploy is still running.
import { describe, expect } from "vitest";
import { environmentName } from "../../../src/forges/github/deployments.js";
import { liveNamespace, namespaceExists, objectsIn } from "./support/cluster.js";
import { useGitHubApp } from "./support/prbox.js";
import { newSha, previewRepo, withFailingPods } from "./support/sources.js";
import { stays } from "./support/wait.js";
import { pullRequestDelivery } from "./support/webhooks.js";

const it = useGitHubApp({ env: { PRBOX_DEPLOY_TIMEOUT: "45s" } });

function deliveriesCounted(metrics: string, result: string): number {
  const line = metrics
    .split("\n")
    .find(
      (l) =>
        l.startsWith(`prbox_webhook_deliveries_total{`) &&
        l.includes(`result="${result}"`) &&
        l.includes(`event="pull_request"`),
    );
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe.concurrent("bursts and repeats of deliveries", () => {
  it("deploys at most twice for 20 pushes arriving in a burst during a deploy, and the last SHA pushed wins", async ({
    t,
  }) => {
    const pr = 11;
    const files = await previewRepo();
    const [opened, ...pushed] = Array.from({ length: 21 }, () => newSha());
    for (const sha of [opened ?? "", ...pushed]) await t.repo.push(sha, files);
    t.repo.openPullRequest(pr, { ref: "feature/busy", sha: opened ?? "" });
    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));
    await t.until("the first deploy runs", () => t.sticky(pr).includes("deploying"), { state: () => t.sticky(pr) });

    for (const sha of pushed) {
      t.repo.pushToPullRequest(pr, sha);
      await t.deliver(pullRequestDelivery(t.repo, pr, "synchronize"));
    }

    const last = pushed.at(-1) ?? "";
    await t.until(
      "the comment says ready at the last SHA pushed",
      () => t.sticky(pr).includes("✅ ready") && t.sticky(pr).includes(last.slice(0, 7)),
      {
        state: () => t.sticky(pr),
      },
    );
    await t.settled();
    // The deploy that was running finishes with its SHA, then one more deploys the last push.
    expect(t.repo.downloads).toEqual([opened, last]);
    expect(t.repo.deploymentsOf(environmentName(pr)).length).toBeLessThanOrEqual(2);
    expect((await liveNamespace(t.kube, t.namespace(pr)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(last);
    expect(t.repo.statusesOf(last).at(-1)?.state).toBe("success");
    expect(t.stickyComments(pr)).toHaveLength(1);
  });

  it("does nothing twice for the same delivery sent twice", async ({ t }) => {
    const pr = 12;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/twice", sha });
    const opened = pullRequestDelivery(t.repo, pr, "opened");
    // The only test of this prbox that repeats a delivery: the count is this test's.
    const duplicatesBefore = deliveriesCounted(await t.prbox.metrics(), "duplicate");

    const first = await t.deliver(opened);
    await t.deliver(opened, { id: first.id });

    expect(deliveriesCounted(await t.prbox.metrics(), "duplicate")).toBe(duplicatesBefore + 1);
    expect(await t.prbox.redisKeys()).toContain(`${t.prbox.prefix}:delivery:${first.id}`);
    await t.until("the comment says ready", () => t.sticky(pr).includes("✅ ready"), { state: () => t.sticky(pr) });
    await t.settled();
    expect(t.repo.downloads).toEqual([sha]);
    expect(t.repo.deploymentsOf(environmentName(pr))).toHaveLength(1);
    expect(t.repo.statusesOf(sha).map((s) => s.state)).toEqual(["pending", "success"]);
    expect(t.stickyComments(pr)).toHaveLength(1);
  });

  it("ends deleted, never resurrected, when the PR is closed while its deploy still waits for pods", async ({ t }) => {
    const pr = 13;
    const sha = newSha();
    await t.repo.push(sha, withFailingPods(await previewRepo()));
    t.repo.openPullRequest(pr, { ref: "feature/slow", sha });
    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));
    const namespace = t.namespace(pr);
    await t.until("the deploy waits for its Deployments", async () =>
      (await objectsIn(t.kube, namespace)).some((o) => o.kind === "Deployment"),
    );
    expect(t.sticky(pr)).toContain("deploying");

    t.repo.closePullRequest(pr, { merged: false });
    await t.deliver(pullRequestDelivery(t.repo, pr, "closed"));

    await t.until("the comment says the environment was deleted", () => t.sticky(pr).includes("environment deleted"), {
      state: () => t.sticky(pr),
    });
    await t.settled();
    expect(await namespaceExists(t.kube, namespace)).toBe(false);
    await stays(
      "the namespace stays gone and the comment says deleted",
      async () => !(await namespaceExists(t.kube, namespace)) && t.sticky(pr).includes("environment deleted"),
      {
        forMs: 3000,
        check: () => t.github.assertNoProblems(),
      },
    );
    expect(t.stickyComments(pr)).toHaveLength(1);
    expect(t.repo.deploymentsOf(environmentName(pr)).at(-1)?.statuses.at(-1)?.state).toBe("inactive");
    // The interrupted deploy said "pending" on the commit; a deleted preview must not leave it pending
    // forever (on a merged PR that commit is in the base branch, with a yellow dot for good).
    expect(t.repo.statusesOf(sha).at(-1)?.state, "the commit status of the deploy the close interrupted").not.toBe(
      "pending",
    );
  });
});
