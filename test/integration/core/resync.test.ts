// The resync's decisions (src/core/resync.ts) with everything real but the forge: the real Redis
// (state store and queue, no worker), the test cluster, and the GitHub App's listing and adapter
// against the fake GitHub. What matters here is what it feeds and what it leaves alone.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import nock from "nock";
import { Probot } from "probot";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { connectCluster, listEnvironments } from "../../../src/cluster/index.js";
import type { Policy } from "../../../src/config/config.js";
import { intake } from "../../../src/core/intake.js";
import { resync, type ResyncDeps } from "../../../src/core/resync.js";
import { forgeRegistry } from "../../../src/core/forge.js";
import { GitHubForge } from "../../../src/forges/github/forge.js";
import { appBot } from "../../../src/forges/github/identity.js";
import { GitHubLister } from "../../../src/forges/github/listing.js";
import { PrboxOctokit } from "../../../src/forges/github/octokit.js";
import { noListingCache } from "../../../src/forges/listing-cache.js";
import { createLogger, silentLogger } from "../../../src/log.js";
import {
  connectRedis,
  createReconcileQueue,
  RedisStateStore,
  type RedisConnection,
  type BullReconcileQueue,
} from "../../../src/queue/index.js";
import { prEnvironmentId } from "../../../src/spec/naming.js";
import { testKubeconfig } from "../../support/cluster-fixtures.js";
import { startFakeGitHub, type FakeGitHub, type FakeRepository } from "../../support/fake-github.js";

const INSTALLATION = 91;
const TOKEN = "ghs_9aC7e42F292c6912E7710c838347Ae178B4b";
const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const sha = (n: number) => n.toString(16).padStart(40, "0");
const POLICY = { requiredLabel: null, deployForks: false, requiredChecks: [] } satisfies Partial<Policy>;

describe("resync", () => {
  let redis: RedisConnection;
  let github: FakeGitHub;
  let repo: FakeRepository;
  let deps: ResyncDeps;
  let queue: BullReconcileQueue;
  let prefix: string;
  beforeAll(async () => {
    redis = await connectRedis(inject("redisUrl"), { role: "client", log: silentLogger });
  });
  afterAll(() => redis.disconnect());
  beforeEach(async () => {
    prefix = `resync-${randomBytes(3).toString("hex")}`;
    github = startFakeGitHub({
      app: { id: "5151", slug: "prbox-preview", publicKey },
      installations: { [INSTALLATION]: TOKEN },
    });
    repo = github.addRepository(`acme/${prefix}`, INSTALLATION);
    const probot = new Probot({
      appId: 5151,
      privateKey,
      log: createLogger({ level: "silent" }),
      Octokit: PrboxOctokit,
    });
    const cluster = await connectCluster({ kubeconfigPath: testKubeconfig() });
    const store = new RedisStateStore(redis, { prefix });
    queue = createReconcileQueue({ connection: redis, prefix, log: silentLogger });
    deps = {
      store,
      queue,
      forges: forgeRegistry({
        github: async (ref) =>
          new GitHubForge(
            await probot.auth(Number(ref.target)),
            appBot(() => probot.auth()),
          ),
      }),
      listers: [new GitHubLister(probot, noListingCache, silentLogger)],
      policy: POLICY,
      log: silentLogger,
      records: () => listEnvironments(cluster),
    };
  });
  afterEach(async () => {
    github.stop();
    nock.enableNetConnect();
    await queue.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  const envId = (pr: number) => prEnvironmentId("github", repo.fullName, pr);
  const ref = (pr: number) => ({ forge: "github" as const, repo: repo.fullName, pr, target: String(INSTALLATION) });
  const head = (pr: number) => ({
    branch: repo.pull(pr).head.ref,
    sha: repo.pull(pr).head.sha,
    fork: repo.pull(pr).head.fork,
    labels: [],
  });

  it("holds a fork's PR opened while prbox was down for a maintainer's /deploy, as the webhook would", async () => {
    repo.openPullRequest(1, { ref: "patch", sha: sha(1), fork: true, user: "contributor" });

    const result = await resync(deps);

    expect(result.fed).toEqual([envId(1)]);
    expect(await deps.store.getDesired(envId(1))).toMatchObject({
      action: "wait",
      fork: true,
      sha: sha(1),
      waitReason: expect.stringContaining("/deploy"),
    });
    github.assertNoProblems();
  });

  it("feeds nothing and writes nothing when the forge and the desired states agree", async () => {
    repo.openPullRequest(1, { ref: "feature/a", sha: sha(1) });
    await resync(deps);
    const before = await deps.store.getDesired(envId(1));

    const again = await resync(deps);

    expect(again).toMatchObject({ fed: [], closed: [], unknown: [] });
    expect((await deps.store.getDesired(envId(1)))?.generation).toBe(before?.generation);
  });

  it("does not bring back an environment a maintainer /destroyed while its PR stays as it was", async () => {
    repo.openPullRequest(2, { ref: "feature/b", sha: sha(2) });
    await intake(
      {
        kind: "pull_request",
        action: "opened",
        ref: ref(2),
        head: head(2),
        merged: false,
        at: repo.pull(2).updated_at,
      },
      "d1",
      deps,
    );
    await intake(
      {
        kind: "command",
        command: "destroy",
        ref: ref(2),
        user: "maintainer",
        commentId: "c1",
        head: head(2),
        at: github.tick(),
      },
      "d2",
      deps,
    );

    const result = await resync(deps);

    expect(result.fed).toEqual([]);
    expect(await deps.store.getDesired(envId(2))).toMatchObject({ action: "destroy", closed: false });
  });

  it("brings back a PR reopened while prbox was down, and closes one closed while it was down", async () => {
    repo.openPullRequest(3, { ref: "feature/c", sha: sha(3) });
    repo.openPullRequest(4, { ref: "feature/d", sha: sha(4) });
    await resync(deps);
    repo.closePullRequest(3, { merged: false });
    await intake(
      {
        kind: "pull_request",
        action: "closed",
        ref: ref(3),
        head: head(3),
        merged: false,
        at: repo.pull(3).updated_at,
      },
      "d3",
      deps,
    );
    // While prbox is down: #3 reopened, #4 closed.
    repo.pull(3).state = "open";
    repo.pull(3).updated_at = github.tick();
    repo.closePullRequest(4, { merged: true });

    const result = await resync(deps);

    expect(result).toMatchObject({ fed: [envId(3)], closed: [envId(4)] });
    expect(await deps.store.getDesired(envId(3))).toMatchObject({ action: "deploy", closed: false });
    expect(await deps.store.getDesired(envId(4))).toMatchObject({ action: "destroy", closed: true });
  });

  it("keeps a live environment when GitHub cannot say whether its PR is open", async () => {
    repo.openPullRequest(5, { ref: "feature/e", sha: sha(5) });
    await resync(deps);
    repo.closePullRequest(5, { merged: false });
    github.inject({ method: "GET", path: /\/pulls\/5$/, answer: [502, { message: "Server Error" }], times: 100 });

    const result = await resync(deps);

    expect(result).toMatchObject({ closed: [], unknown: [envId(5)] });
    expect(await deps.store.getDesired(envId(5))).toMatchObject({ action: "deploy", closed: false });
  });
});
