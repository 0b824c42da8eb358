// The life of one PR's preview, end to end, for either forge: a webhook over HTTP to the real
// server, the real worker, Redis, helm and API server; the forge is a fake (test/support/).
import { describe, expect } from "vitest";
import type { ForgeName } from "../../../src/core/forge.js";
import { deploymentsAvailable, liveNamespace, namespaceExists, objectsIn } from "../github/support/cluster.js";
import { changed, newSha, previewRepo, withChartTests } from "../github/support/sources.js";
import { stays } from "../github/support/wait.js";
import { openDeployed, pushReady } from "./flows.js";
import { SHARED_PACE_TIMEOUT, usePipeline } from "./support/pipeline.js";

const PREVIEW_OBJECTS = [
  "ConfigMap/feature-flags",
  "ConfigMap/settings",
  "Deployment/first-service",
  "Deployment/second-service",
  "Ingress/www",
  "Service/first-service",
  "Service/second-service",
];

export function lifecycleSuite(forge: ForgeName) {
  const it = usePipeline(forge);

  describe.concurrent(`a pull request's preview on ${forge}`, SHARED_PACE_TIMEOUT, () => {
    it("deploys an opened PR: one comment with the preview URL, status pending then success, the forge's environment with its URL, the namespace running", async ({
      t,
    }) => {
      const pr = 1;
      const sha = newSha();
      const url = `https://pr-${pr}.preview.example.com/`;
      await t.forge.push(sha, await previewRepo());
      t.forge.open(pr, { ref: "feature/checkout", sha });

      await t.deliver(t.forge.pullRequestEvent(pr, "opened"));

      await t.until("the comment says ready", () => t.sticky(pr).includes("✅ ready"), { state: () => t.sticky(pr) });
      await t.settled();
      expect(t.forge.stickyComments(pr)).toHaveLength(1);
      expect(t.forge.replies(pr)).toEqual([]);
      expect(t.sticky(pr)).toContain(`https://pr-${pr}.preview.example.com`);
      expect(t.sticky(pr)).toContain(sha.slice(0, 7));

      const statuses = t.forge.statusesOf(sha);
      expect(statuses[0]?.state).toBe("pending");
      expect(statuses.at(-1)).toMatchObject({ state: "success", url });
      expect(t.forge.environment(pr)).toEqual({
        state: "ready",
        url,
        deploys: t.forge.recordsDeployments ? [sha] : [],
      });

      const namespace = t.forge.namespace(pr);
      const ns = await liveNamespace(t.kube, namespace);
      expect(ns?.metadata?.labels).toMatchObject({
        "prbox.dev/environment": t.forge.environmentId(pr),
        "prbox.dev/pr": String(pr),
        "prbox.dev/forge": forge,
      });
      expect(ns?.metadata?.annotations?.["prbox.dev/sha"]).toBe(sha);
      const objects = await objectsIn(t.kube, namespace);
      expect(objects.map((o) => `${o.kind}/${o.name}`).sort()).toEqual(PREVIEW_OBJECTS);
      for (const object of objects) expect(object.labels["prbox.dev/environment"]).toBe(t.forge.environmentId(pr));
      expect(await deploymentsAvailable(t.kube, namespace)).toBe(true);
      expect(t.forge.downloads()).toEqual([sha]);
    });

    it("runs the chart's tests of a box that asks once the preview is ready: each test in the comment, the status prbox/tests failed, the preview still ready", async ({
      t,
    }) => {
      const pr = 12;
      await openDeployed(t, pr);

      const sha = await pushReady(t, pr, withChartTests(await previewRepo()));
      await t.settled();

      const body = t.sticky(pr);
      // On the title line, where a reviewer looks first.
      expect(body).toMatch(/: ✅ ready at https:\/\/pr-12\.preview\.example\.com\/, ❌ 1 of 2 chart tests failed\n/);
      expect(body).toContain("| ` Pod/first-box-test-connection ` | ` first-box ` | ✅ ` succeeded ` |");
      expect(body).toContain(
        "| ` Pod/first-box-test-login ` | ` first-box ` | ❌ ` container check exited with code 1 (Error) ` |",
      );
      expect(body).toContain("Last log lines of ` Pod/first-box-test-login `");
      expect(t.forge.statusesOf(sha).at(-1)?.state).toBe("success");
      expect(t.forge.statusesOf(sha, "prbox/tests").map((s) => [s.state, s.description])).toEqual([
        ["failure", "1 of 2 failed: Pod/first-box-test-login"],
      ]);
    });

    it("rolls a push out: the same comment is edited, the new SHA is deployed and the object the commit dropped is pruned", async ({
      t,
    }) => {
      const pr = 2;
      const first = await openDeployed(t, pr);
      const [comment] = t.forge.stickyComments(pr);
      const namespace = t.forge.namespace(pr);
      expect((await objectsIn(t.kube, namespace)).map((o) => o.name)).toContain("feature-flags");

      const second = await pushReady(t, pr, changed(await previewRepo(), { remove: ["config/feature-flags.yaml"] }));
      await t.settled();
      expect(t.forge.stickyComments(pr).map((c) => c.id)).toEqual([comment?.id]);
      expect(t.forge.replies(pr)).toEqual([]);
      expect((await liveNamespace(t.kube, namespace))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(second);
      const names = (await objectsIn(t.kube, namespace)).map((o) => `${o.kind}/${o.name}`);
      expect(names).not.toContain("ConfigMap/feature-flags");
      expect(names).toContain("ConfigMap/settings");
      expect(t.forge.statusesOf(second).at(-1)?.state).toBe("success");
      expect(t.forge.environment(pr)).toMatchObject({
        state: "ready",
        deploys: t.forge.recordsDeployments ? [first, second] : [],
      });
      expect(t.forge.downloads()).toEqual([first, second]);
    });

    it("deletes the environment when the PR is merged: namespace gone, the forge's environment stopped, comment says deleted, and it stays so", async ({
      t,
    }) => {
      const pr = 3;
      const sha = await openDeployed(t, pr);
      const namespace = t.forge.namespace(pr);
      const [comment] = t.forge.stickyComments(pr);
      const late = t.forge.pullRequestEvent(pr, "synchronize");

      t.forge.close(pr, { merged: true });
      await t.deliver(t.forge.pullRequestEvent(pr, "closed"));

      await t.until(
        "the comment says the environment was deleted",
        () => t.sticky(pr).includes("environment deleted"),
        { state: () => t.sticky(pr) },
      );
      await t.settled();
      expect(await namespaceExists(t.kube, namespace)).toBe(false);
      expect(t.forge.stickyComments(pr).map((c) => c.id)).toEqual([comment?.id]);
      expect(t.sticky(pr)).toContain("the pull request was closed");
      // GitHub keeps the Deployment, marked inactive; GitLab's Environment is stopped, then deleted.
      expect(t.forge.environment(pr)).toMatchObject({
        state: t.forge.recordsDeployments ? "stopped" : "removed",
        deploys: t.forge.recordsDeployments ? [sha] : [],
      });

      // A push delivered late and a redelivered close bring nothing back.
      await t.deliver(late);
      await t.deliver(t.forge.pullRequestEvent(pr, "closed"));
      await stays(
        "the namespace stays gone and the comment says deleted",
        async () => !(await namespaceExists(t.kube, namespace)) && t.sticky(pr).includes("environment deleted"),
        {
          forMs: 2000,
          check: () => t.forge.assertNoProblems(),
        },
      );
      expect(t.forge.downloads()).toEqual([sha]);
    });

    it("deletes the environment when the PR is closed without merging", async ({ t }) => {
      const pr = 5;
      await openDeployed(t, pr);
      const namespace = t.forge.namespace(pr);

      t.forge.close(pr, { merged: false });
      await t.deliver(t.forge.pullRequestEvent(pr, "closed"));

      await t.until(
        "the comment says the environment was deleted",
        () => t.sticky(pr).includes("environment deleted"),
        { state: () => t.sticky(pr) },
      );
      await t.settled();
      expect(await namespaceExists(t.kube, namespace)).toBe(false);
      expect(t.forge.environment(pr).state).toBe(t.forge.recordsDeployments ? "stopped" : "removed");
      expect(t.forge.stickyComments(pr)).toHaveLength(1);
    });

    it("brings the preview back when a PR closed without merging is reopened", async ({ t }) => {
      const pr = 8;
      const sha = await openDeployed(t, pr);
      const namespace = t.forge.namespace(pr);
      t.forge.close(pr, { merged: false });
      await t.deliver(t.forge.pullRequestEvent(pr, "closed"));
      await t.until(
        "the comment says the environment was deleted",
        () => t.sticky(pr).includes("environment deleted"),
        { state: () => t.sticky(pr) },
      );
      await t.settled();

      t.forge.reopen(pr);
      await t.deliver(t.forge.pullRequestEvent(pr, "reopened"));

      await t.until("the comment says ready again", () => t.sticky(pr).includes("✅ ready"), {
        state: () => t.sticky(pr),
      });
      await t.settled();
      expect((await liveNamespace(t.kube, namespace))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(sha);
      expect(await deploymentsAvailable(t.kube, namespace)).toBe(true);
      expect(t.forge.stickyComments(pr)).toHaveLength(1);
      expect(t.forge.environment(pr)).toMatchObject({ state: "ready", url: `https://pr-${pr}.preview.example.com/` });
      expect(t.forge.downloads()).toEqual([sha, sha]);
    });

    it("leaves no preview when the forge delivers the close of a short-lived PR before its open", async ({ t }) => {
      const pr = 4;
      const sha = newSha();
      await t.forge.push(sha, await previewRepo());
      t.forge.open(pr, { ref: "feature/oops", sha });
      const opened = t.forge.pullRequestEvent(pr, "opened");
      t.forge.close(pr, { merged: false });
      const closed = t.forge.pullRequestEvent(pr, "closed");

      // Neither forge promises order: the close (newer updated_at) arrives first.
      await t.deliver(closed);
      await t.deliver(opened);

      await t.settled();
      expect(t.sticky(pr)).not.toContain("✅ ready");
      expect(t.forge.downloads(), "the closed PR's sources were fetched for a deploy").toEqual([]);
      expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(false);
      expect(t.forge.environment(pr).state).not.toBe("ready");
    });
  });

  return it;
}
