// A worker killed with SIGKILL in the middle of a deploy: another worker takes the job over once
// the dead one's lock expires, and the environment converges to the PR's latest commit. prbox
// runs as real processes (`prbox server`, `prbox worker`); GitHub is the stateful fake, served
// over loopback HTTP as a GitHub Enterprise Server so every process shares one fake.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { deleteNamespacesOf, environmentOf, kube, liveNamespace, namespaceOf } from "../github/support/cluster.js";
import { newSha, previewRepo } from "../github/support/sources.js";
import { until } from "../github/support/wait.js";
import { deliver, pullRequestDelivery } from "../github/support/webhooks.js";
import { useClusterProxy } from "../../support/cluster-fixtures.js";
import { freePort } from "../../setup/redis.js";
import { FakeGitHub, type FakeRepository } from "../../support/fake-github.js";
import { serveFakeGitHub } from "../../support/fake-github-http.js";
import { STICKY_MARKER } from "../../../src/core/sticky-comment.js";
import { environmentName } from "../../../src/forges/github/deployments.js";
import { appCredentials, prboxEnv, proxyKubeconfig, recordRecovery, startPrboxProcess } from "./support.js";

// Short, so the takeover happens within seconds. bench/recovery.ts sets PRBOX_RECOVERY_DEFAULTS to
// measure prbox's defaults (30 s lock, 15 s check) instead.
const FAST_TAKEOVER: Record<string, string> = process.env.PRBOX_RECOVERY_DEFAULTS
  ? {}
  : { PRBOX_JOB_LOCK_DURATION: "2s", PRBOX_STALLED_INTERVAL: "500ms" };

function stickyOf(repo: FakeRepository, pr: number) {
  return repo.botComments(pr).filter((c) => c.body.includes(STICKY_MARKER));
}

describe("a worker killed with SIGKILL mid-deploy", () => {
  const proxy = useClusterProxy();
  const k = kube();

  /**
   * Opens a PR; worker A (through the proxy, which holds every Deployment it applies) is caught
   * after the namespace and the first objects exist; worker B starts; optionally a push arrives;
   * A is SIGKILLed. Resolves with what B made of it.
   */
  async function killMidDeploy(options: { pushWhileDeploying: boolean }) {
    const app = appCredentials();
    const github = new FakeGitHub({
      app: { id: app.appId, slug: "prbox-preview", publicKey: app.publicKey },
      installations: { [app.installationId]: app.installationToken },
    });
    const served = await serveFakeGitHub(github);
    onTestFinished(() => served.close());
    const prefix = `kill-${randomBytes(3).toString("hex")}`;
    const repo = github.addRepository(`acme/shop-${prefix}`, app.installationId);
    onTestFinished(() => deleteNamespacesOf(k, repo.fullName));
    const redis = new Redis(inject("redisUrl"));
    onTestFinished(async () => {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    const cut = proxy();
    onTestFinished(() => cut.clearFaults());
    const earlier = cut.requests.length; // the proxy serves the whole file
    cut.inject({
      method: "PATCH",
      path: /^\/apis\/apps\/v1\/namespaces\/[^/]+\/deployments\/[^/]+$/,
      hold: new Promise(() => {}),
      times: Number.POSITIVE_INFINITY,
    });
    const port = await freePort();
    const env = prboxEnv(app, prefix, { ...served.env, ...FAST_TAKEOVER });
    await startPrboxProcess("server", { ...env, HOST: "127.0.0.1", PORT: String(port) });
    const workerA = await startPrboxProcess("worker", { ...env, KUBECONFIG: await proxyKubeconfig(cut.url) });
    const send = (action: "opened" | "synchronize") =>
      deliver(`http://127.0.0.1:${port}/api/github/webhooks`, app.secret, pullRequestDelivery(repo, 1, action));

    const files = await previewRepo();
    const first = newSha();
    await repo.push(first, files);
    repo.openPullRequest(1, { ref: "feature/kill", sha: first });
    expect((await send("opened")).status).toBe(200);
    await until(
      "worker A is applying the environment (a Deployment held at the proxy)",
      () => cut.requests.slice(earlier).some((r) => r.status === "held"),
      { timeoutMs: 90_000 },
    );
    expect(await liveNamespace(k, namespaceOf(repo.fullName, 1))).not.toBeNull();
    // Worker B is up before A dies, as a second replica would be; the job is A's until its lock expires.
    const workerB = await startPrboxProcess("worker", env);
    let expected = first;
    if (options.pushWhileDeploying) {
      expected = newSha();
      await repo.push(expected, files);
      repo.pushToPullRequest(1, expected);
      expect((await send("synchronize")).status).toBe(200);
    }

    await workerA.kill("SIGKILL");
    const killedAt = Date.now();
    const ns = await until(
      `the environment is ready at ${expected.slice(0, 7)}`,
      async () => {
        const live = await liveNamespace(k, namespaceOf(repo.fullName, 1));
        const body = stickyOf(repo, 1)[0]?.body ?? "";
        return live?.metadata?.annotations?.["prbox.dev/sha"] === expected &&
          body.includes("ready") &&
          body.includes(expected.slice(0, 7))
          ? live
          : null;
      },
      {
        timeoutMs: 120_000,
        check: () => github.assertNoProblems(),
        state: () => ({ sticky: stickyOf(repo, 1).map((c) => c.body), workerB: workerB.output().slice(-3000) }),
      },
    );
    const recoveredMs = Date.now() - killedAt;
    // B took over A's job: it found it stalled and ran it again.
    await workerB.line(/a job lost its worker/);
    await until("the recorded state is the deployed commit", async () => {
      const observed = await redis.get(`${prefix}:observed:${environmentOf(repo.fullName, 1)}`);
      return observed !== null && (JSON.parse(observed) as { sha: string }).sha === expected;
    });
    github.assertNoProblems();
    return { repo, ns, expected, recoveredMs };
  }

  it(
    "leaves its job to another worker, which finishes the deploy without posting anything twice",
    { timeout: 300_000 },
    async () => {
      const { repo, ns, expected, recoveredMs } = await killMidDeploy({ pushWhileDeploying: false });
      await recordRecovery("worker SIGKILL mid-deploy → ready on another worker", recoveredMs);
      expect(ns.metadata?.name).toBe(namespaceOf(repo.fullName, 1));
      expect(stickyOf(repo, 1)).toHaveLength(1);
      expect(repo.deploymentsOf(environmentName(1)).map((d) => d.sha)).toEqual([expected]);
      expect(repo.statusesOf(expected).at(-1)?.state).toBe("success");
    },
  );

  it("converges to the commit pushed while the killed worker was deploying", { timeout: 300_000 }, async () => {
    const { repo, expected } = await killMidDeploy({ pushWhileDeploying: true });
    expect(stickyOf(repo, 1)).toHaveLength(1);
    const deployments = repo.deploymentsOf(environmentName(1));
    expect(new Set(deployments.map((d) => d.sha)).size).toBe(deployments.length);
    expect(deployments.at(-1)?.sha).toBe(expected);
    expect(repo.statusesOf(expected).at(-1)?.state).toBe("success");
  });
});
