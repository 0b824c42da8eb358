// The Kubernetes API server unreachable for 30 s in the middle of a deploy: the job fails
// transiently, the PR says "retrying in …", the queue retries with exponential backoff and the
// environment converges once the API server is back. And the opposite case: an object the API
// server refuses (422) fails the job once, with the server's reason on the PR, and is not retried.
// prbox reaches the real test control plane through the fault-injecting proxy.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, expect } from "vitest";
import { useClusterProxy } from "../../support/cluster-fixtures.js";
import { liveNamespace } from "../github/support/cluster.js";
import { useGitHubApp } from "../github/support/prbox.js";
import { changed, newSha, previewRepo } from "../github/support/sources.js";
import { pullRequestDelivery } from "../github/support/webhooks.js";
import { proxyKubeconfig, recordRecovery } from "./support.js";

const OUTAGE_MS = 30_000;

const proxy = useClusterProxy();
const cleanUps: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanUps) await fn();
});
const it = useGitHubApp(async () => ({
  env: { KUBECONFIG: await proxyKubeconfig(proxy().url, (fn) => cleanUps.push(fn)) },
}));

it(
  "retries a deploy cut off by a 30 s API server outage, with backoff, and converges once it is back",
  { timeout: 300_000 },
  async ({ t }) => {
    const pr = 1;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/outage", sha });
    const cut = proxy();
    const earlier = cut.requests.length;
    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));

    // Cut as soon as the deploy writes its first object.
    await t.until(
      "the deploy applies its first object",
      () => cut.requests.slice(earlier).some((r) => r.method === "PATCH"),
      { intervalMs: 20 },
    );
    cut.inject({ path: /./, drop: true, times: Number.POSITIVE_INFINITY });
    const cutAt = Date.now();
    await t.until("the PR says the deploy failed and is retried", () => t.sticky(pr).includes("⏳ retrying in"), {
      timeoutMs: OUTAGE_MS,
      state: () => t.sticky(pr),
    });
    // The outage itself: its length is the scenario, not a wait for a result.
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - cutAt)));
    const dropped = cut.requests.slice(earlier).filter((r) => r.status === "dropped").length;
    cut.clearFaults();
    const restoredAt = Date.now();

    await t.until("the environment is ready", () => t.sticky(pr).includes("✅ ready"), {
      timeoutMs: 180_000,
      state: () => t.sticky(pr),
    });
    await recordRecovery("API server back after a 30 s outage → ready", Date.now() - restoredAt);
    await t.settled();
    expect((await liveNamespace(t.kube, t.namespace(pr)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(sha);
    // Backoff, not a storm: a few attempts during 30 s, each making a handful of calls.
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(200);
    const history = t.stickyComments(pr)[0]?.history ?? [];
    expect(history.some((body) => body.includes("⏳ retrying in"))).toBe(true);
    expect(t.stickyComments(pr)).toHaveLength(1);
    expect(t.repo.statusesOf(sha).at(-1)?.state).toBe("success");
  },
);

it(
  "fails once with the API server's reason when it refuses an object (422), without retrying",
  { timeout: 180_000 },
  async ({ t }) => {
    const pr = 2;
    const sha = newSha();
    const invalid = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  "not a valid key!": "x"\n';
    await t.repo.push(sha, changed(await previewRepo(), { set: { "config/settings.yaml": invalid } }));
    t.repo.openPullRequest(pr, { ref: "feature/invalid", sha });
    const cut = proxy();
    const earlier = cut.requests.length;
    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));

    await t.until("the PR says the deploy failed", () => t.sticky(pr).includes("failed"), {
      timeoutMs: 120_000,
      state: () => t.sticky(pr),
    });
    await t.settled();
    const sticky = t.sticky(pr);
    expect(sticky).not.toContain("retrying");
    expect(sticky).toContain("settings");
    expect(sticky).toMatch(/a valid config key must consist of alphanumeric characters/);
    expect(t.repo.statusesOf(sha).at(-1)?.state).toBe("failure");
    // One attempt: the refused ConfigMap was sent once.
    const applies = cut.requests
      .slice(earlier)
      .filter((r) => r.method === "PATCH" && r.path.endsWith("/configmaps/settings"));
    expect(applies.map((r) => r.status)).toEqual([422]);
  },
);
