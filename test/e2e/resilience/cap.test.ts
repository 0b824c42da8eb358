// The cap on live environments is exact under concurrency: six PRs opened at once, reconciled by
// six jobs running at the same time (PRBOX_WORKER_CONCURRENCY 6) against PRBOX_MAX_ENVIRONMENTS 3,
// through the real server, worker, Redis, helm and control plane. The cap was a budget checked
// before the deploy: jobs that all started before any environment was live all deployed.
import { expect } from "vitest";
import { liveNamespace } from "../github/support/cluster.js";
import { useGitHubApp } from "../github/support/prbox.js";
import { newSha, previewRepo } from "../github/support/sources.js";
import { pullRequestDelivery } from "../github/support/webhooks.js";

const CAP = 3;
const PRS = [1, 2, 3, 4, 5, 6];
const it = useGitHubApp({ env: { PRBOX_MAX_ENVIRONMENTS: String(CAP), PRBOX_WORKER_CONCURRENCY: String(PRS.length) } });

it(
  "never runs more than 3 environments at once when 6 PRs open together, and deploys a waiting one when a live one closes",
  { timeout: 300_000 },
  async ({ t }) => {
    const files = await previewRepo();
    for (const pr of PRS) {
      const sha = newSha();
      await t.repo.push(sha, files);
      t.repo.openPullRequest(pr, { ref: `feature/cap-${pr}`, sha });
    }
    // Watch the cluster the whole time: the most namespaces of this repository alive at once.
    let most = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const live = await Promise.all(PRS.map((pr) => liveNamespace(t.kube, t.namespace(pr))));
        most = Math.max(most, live.filter(Boolean).length);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      await Promise.all(PRS.map((pr) => t.deliver(pullRequestDelivery(t.repo, pr, "opened"))));
      const told = (pr: number) => t.sticky(pr).includes("✅ ready") || t.sticky(pr).includes(`the limit is ${CAP}`);
      await t.until("every PR says ready or that it waits for the cap", () => PRS.every(told), {
        timeoutMs: 240_000,
        state: () => PRS.map((pr) => t.sticky(pr).split("\n")[0]),
      });
      await t.settled();
      const ready = PRS.filter((pr) => t.sticky(pr).includes("✅ ready"));
      const waiting = PRS.filter((pr) =>
        t.sticky(pr).includes(`⏸ not deployed: ${CAP} preview environments are running and the limit is ${CAP}`),
      );
      expect(ready).toHaveLength(CAP);
      expect(waiting).toHaveLength(PRS.length - CAP);

      // A live one closes: its slot goes to one of the waiting ones, and the cap still holds.
      const closing = ready[0] ?? 0;
      t.repo.closePullRequest(closing, { merged: false });
      await t.deliver(pullRequestDelivery(t.repo, closing, "closed"));
      await t.until("a waiting PR got the freed slot", () => waiting.some((pr) => t.sticky(pr).includes("✅ ready")), {
        timeoutMs: 180_000,
        state: () => PRS.map((pr) => t.sticky(pr).split("\n")[0]),
      });
      await t.settled();
      expect(waiting.filter((pr) => t.sticky(pr).includes("✅ ready"))).toHaveLength(1);
    } finally {
      watching = false;
      await watcher;
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(CAP);
  },
);
