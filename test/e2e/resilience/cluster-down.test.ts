// Nothing goes unseen while the cluster is broken: prbox (real server, worker, Redis, helm and
// control plane, only GitHub faked) reaches the API server through the fault-injecting proxy,
// which drops every request while the test says the cluster is down. The PR hears of its job at
// once ("queued"), then of each retry with the reason and the delay, then gets the final word:
// ready once the API server answers, or the failure after the last attempt. Also: an internal
// error (a bug) is reported once as a failure and not retried, and a teardown cut off is reported too.
import { afterAll, expect } from "vitest";
import { useClusterProxy } from "../../support/cluster-fixtures.js";
import { liveNamespace } from "../github/support/cluster.js";
import { useGitHubApp } from "../github/support/prbox.js";
import { newSha, previewRepo } from "../github/support/sources.js";
import { pullRequestDelivery } from "../github/support/webhooks.js";
import { proxyKubeconfig } from "./support.js";

const ATTEMPTS = 5;
const proxy = useClusterProxy();
const cleanUps: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanUps) await fn();
});
const it = useGitHubApp(async () => ({
  env: {
    KUBECONFIG: await proxyKubeconfig(proxy().url, (fn) => cleanUps.push(fn)),
    PRBOX_JOB_ATTEMPTS: String(ATTEMPTS),
    PRBOX_RETRY_DELAY: "1s",
  },
}));

const RETRYING =
  /^\*\*prbox preview\*\*: ⏳ retrying in \d+ s \(attempt (\d) of 5\): ` .*cannot reach the Kubernetes API.* `$/m;

it(
  "shows a PR opened while the cluster is down as queued, then retrying with the reason, then ready once the API server answers",
  { timeout: 180_000 },
  async ({ t }) => {
    const pr = 1;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/cluster-down", sha });
    const cut = proxy();
    cut.inject({ path: /./, drop: true, times: Number.POSITIVE_INFINITY });
    try {
      await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));
      await t.until("the PR says the deploy is retried, and why", () => RETRYING.test(t.sticky(pr)), {
        timeoutMs: 60_000,
        state: () => t.sticky(pr),
      });
      // The commit status says so too (written right after the comment), pending, not failed.
      const retryStatus = /^Retrying in \d+ s: .*cannot reach the Kubernetes API/;
      await t.until(
        "the commit status says the deploy is retried",
        () => t.repo.statusesOf(sha).some((s) => retryStatus.test(s.description ?? "")),
        { timeoutMs: 60_000 },
      );
      expect(t.repo.statusesOf(sha).every((s) => s.state === "pending")).toBe(true);
    } finally {
      cut.clearFaults();
    }

    await t.until("the environment is ready", () => t.sticky(pr).includes("✅ ready"), {
      timeoutMs: 120_000,
      state: () => t.sticky(pr),
    });
    await t.settled();
    expect((await liveNamespace(t.kube, t.namespace(pr)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(sha);
    const comments = t.stickyComments(pr);
    expect(comments).toHaveLength(1);
    const history = comments[0]?.history ?? [];
    // Queued first (nothing reached the cluster yet), then the retry notice, ready last.
    const firstRetry = history.findIndex((body) => RETRYING.test(body));
    expect(history[0]).toMatch(/⏳ queued, deploying `[0-9a-f]{7}` shortly/);
    expect(firstRetry).toBeGreaterThan(0);
    expect(history.slice(0, firstRetry).every((body) => !body.includes("❌"))).toBe(true);
    expect(history.at(-1)).toContain("✅ ready");
    expect(t.repo.statusesOf(sha).at(-1)?.state).toBe("success");
  },
);

it(
  "ends a deploy whose cluster never answers in a final failure report after the last attempt",
  { timeout: 180_000 },
  async ({ t }) => {
    const pr = 2;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/cluster-gone", sha });
    const cut = proxy();
    cut.inject({ path: /./, drop: true, times: Number.POSITIVE_INFINITY });
    try {
      await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));
      await t.until("the PR says the deploy failed for good", () => t.sticky(pr).includes("❌"), {
        timeoutMs: 120_000,
        state: () => t.sticky(pr),
      });
      await t.settled();
    } finally {
      cut.clearFaults();
    }
    const sticky = t.sticky(pr);
    expect(sticky).toMatch(/❌ deploying `[0-9a-f]{7}` failed\./);
    expect(sticky).toContain("cannot reach the Kubernetes API");
    expect(sticky).not.toContain("retrying");
    // Every attempt but the last said when the next one comes; the last one said so no more.
    const attempts = (t.stickyComments(pr)[0]?.history ?? []).flatMap((body) => RETRYING.exec(body)?.[1] ?? []);
    expect([...new Set(attempts)]).toEqual(["2", "3", "4", "5"]);
    expect(t.repo.statusesOf(sha).at(-1)?.state).toBe("failure");
    const failed = (await t.prbox.rt.queue.bull.getFailed()).filter((job) => job.data.envId === t.environment(pr));
    expect(failed.map((job) => job.attemptsMade)).toEqual([ATTEMPTS]);
  },
);

it(
  "reports an internal error (a bug) once as a failure, and does not retry it",
  { timeout: 120_000 },
  async ({ t }) => {
    const pr = 3;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/bug", sha });
    // What the reconciler last did, as no version of prbox writes it: reading it is an internal error.
    const key = `${t.prbox.prefix}:observed:${t.environment(pr)}`;
    await t.prbox.rt.redis.set(key, "{ not json");
    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));

    await t.until("the PR says the deploy failed", () => t.sticky(pr).includes("❌"), {
      timeoutMs: 60_000,
      state: () => t.sticky(pr),
    });
    await t.settled();
    const sticky = t.sticky(pr);
    expect(sticky).toMatch(/❌ deploying `[0-9a-f]{7}` failed\./);
    expect(sticky).toContain(`the record at Redis key ${key} is not JSON`);
    const history = t.stickyComments(pr)[0]?.history ?? [];
    expect(history.filter((body) => body.includes("❌") || body.includes("retrying"))).toHaveLength(1);
    const failed = (await t.prbox.rt.queue.bull.getFailed()).filter((job) => job.data.envId === t.environment(pr));
    expect(failed.map((job) => job.attemptsMade)).toEqual([1]);
    expect(t.repo.statusesOf(sha).at(-1)?.state).toBe("failure");
    // The failure is what the reconciler did last: the same commit is not tried again by itself.
    expect(JSON.parse((await t.prbox.rt.redis.get(key)) ?? "null")).toMatchObject({ sha, status: "failed" });
  },
);

it(
  "reports a teardown cut off by the cluster as retrying, and deletes the environment once the API server answers",
  { timeout: 180_000 },
  async ({ t }) => {
    const pr = 4;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/teardown-cut", sha });
    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));
    await t.until("the environment is ready", () => t.sticky(pr).includes("✅ ready"), {
      timeoutMs: 120_000,
      state: () => t.sticky(pr),
    });
    await t.settled();

    const cut = proxy();
    cut.inject({ path: /./, drop: true, times: Number.POSITIVE_INFINITY });
    try {
      t.repo.closePullRequest(pr, { merged: false });
      await t.deliver(pullRequestDelivery(t.repo, pr, "closed"));
      await t.until("the PR says the deletion is retried, and why", () => RETRYING.test(t.sticky(pr)), {
        timeoutMs: 60_000,
        state: () => t.sticky(pr),
      });
      expect(t.sticky(pr)).toContain("Deleting the environment failed for a reason that may pass");
    } finally {
      cut.clearFaults();
    }
    await t.until("the comment says the environment was deleted", () => t.sticky(pr).includes("environment deleted"), {
      timeoutMs: 120_000,
      state: () => t.sticky(pr),
    });
    await t.settled();
    expect(await liveNamespace(t.kube, t.namespace(pr))).toBeNull();
    expect(t.stickyComments(pr)).toHaveLength(1);
    // The commit's status is the deploy's: a failed deletion does not turn it red.
    expect(t.repo.statusesOf(sha).at(-1)?.state).toBe("success");
  },
);
