// GitHub answering 5xx, 429 or a secondary rate limit: prbox's Octokit leaves rate-limited calls
// to the queue (no in-process hammering), the queue's next attempt waits at least as long as
// GitHub asked, and each installation has its own write throttle. Real Redis and BullMQ, the real
// Probot/Octokit stack; GitHub is the stateful fake on nock.
import nock from "nock";
import { pino } from "pino";
import { Probot, type ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitHubError } from "../../../src/forges/github/errors.js";
import { GitHubForge } from "../../../src/forges/github/forge.js";
import { appBot } from "../../../src/forges/github/identity.js";
import { silentLogger } from "../../../src/log.js";
import { upsertStickyComment } from "../../../src/core/sticky-comment.js";
import { fetchWithAnswerTimeout, PrboxOctokit, WRITE_BURST } from "../../../src/forges/github/octokit.js";
import { exponentialDelay, retryAfterOf, retryDelay } from "../../../src/queue/index.js";
import { PrboxError } from "../../../src/errors.js";
import { startFakeGitHub, type FakeGitHub, type FakeRepository, type GitHubFault } from "../../support/fake-github.js";
import { harness, idle, waitFor } from "../../integration/queue/support.js";
import { appCredentials } from "./support.js";

const SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";

describe("the delay before a job's next attempt", () => {
  const job = (delay: number, jitter = 0) => ({ opts: { backoff: { type: "prbox", delay, jitter } } }) as never;

  it("is exponential when the forge asked for nothing", () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, "prbox", new Error("boom"), job(2000)))).toEqual([
      2000, 4000, 8000, 16000,
    ]);
  });

  it("takes off at most the jitter, at random", () => {
    expect(exponentialDelay(3, 1000, 0.2, () => 0)).toBe(4000);
    expect(exponentialDelay(3, 1000, 0.2, () => 0.999_999)).toBe(3200);
  });

  it("is never shorter than the retry-after GitHub sent, wherever it is in the cause chain", () => {
    const limited = new GitHubError("creating the commit status: GitHub answered 429", {
      kind: "transient",
      status: 429,
      retryAfterMs: 30_000,
    });
    const wrapped = new PrboxError("reporting failed", { kind: "transient", cause: limited });
    expect(retryAfterOf(wrapped)).toBe(30_000);
    expect(retryDelay(1, "prbox", wrapped, job(2000))).toBe(30_000);
    // A later attempt whose own backoff is longer keeps it.
    expect(retryDelay(6, "prbox", wrapped, job(2000))).toBe(64_000);
  });
});

describe("a job that GitHub rate-limited", () => {
  it("runs its next attempt no sooner than GitHub's retry-after", async () => {
    // backoffMs 10: without the retry-after the second attempt would start ~10 ms after the first.
    const h = await harness({ backoffMs: 10 });
    const attempts: { attempt: number; at: number }[] = [];
    await h.worker({
      handler: async (_envId, { attempt }) => {
        attempts.push({ attempt, at: Date.now() });
        if (attempt === 1) {
          throw new GitHubError("posting the prbox comment: GitHub answered 403: " + SECONDARY, {
            kind: "transient",
            status: 403,
            retryAfterMs: 1500,
          });
        }
      },
    });
    await h.queue.enqueueReconcile("env-limited", { delayMs: 0 });
    await waitFor("the job finished", async () => attempts.length === 2 && (await idle(h.queue)), 30_000);
    const [first, second] = attempts;
    expect(second?.attempt).toBe(2);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1500);
    expect(await h.queue.bull.getFailedCount()).toBe(0);
  });
});

/** A Probot with prbox's Octokit, authenticated against the fake GitHub. */
function appWith(
  installations: Record<number, string>,
  Octokit: typeof PrboxOctokit = PrboxOctokit,
): { probot: Probot; github: FakeGitHub } {
  const { privateKey, publicKey } = appCredentials();
  const github = startFakeGitHub({ app: { id: "4242", slug: "prbox-preview", publicKey }, installations });
  const probot = new Probot({ appId: "4242", privateKey, Octokit, log: pino({ level: "silent" }) });
  return { probot, github };
}

const A = 61_000_001;
const B = 61_000_002;

describe("prbox's Octokit", () => {
  let github: FakeGitHub;
  let probot: Probot;
  let repoA: FakeRepository;
  let repoB: FakeRepository;
  const sha = "c0ffee".padEnd(40, "0");

  beforeEach(async () => {
    ({ github, probot } = appWith({
      [A]: "ghs_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      [B]: "ghs_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    }));
    repoA = github.addRepository("acme/shop", A);
    repoB = github.addRepository("globex/site", B);
    await repoA.push(sha, { "environment.toml": "" });
    await repoB.push(sha, { "environment.toml": "" });
    repoA.openPullRequest(1, { ref: "feature", sha });
    repoB.openPullRequest(1, { ref: "feature", sha });
  });
  afterEach(() => {
    github.stop();
    nock.enableNetConnect();
  });

  const forgeFor = async (installation: number) =>
    new GitHubForge(
      (await probot.auth(installation)) as ProbotOctokit,
      appBot(() => probot.auth()),
    );
  const refA = { forge: "github" as const, repo: "acme/shop", pr: 1, target: String(A) };
  const refB = { forge: "github" as const, repo: "globex/site", pr: 1, target: String(B) };
  /**
   * Three writes of A; once the first arrived (A's next one waits a second), one write of B.
   * Returns who wrote, in arrival order.
   */
  /** A sends a full burst and three more writes; B writes once A's burst went out. */
  async function writesInOrder(forgeA: GitHubForge, forgeB: GitHubForge): Promise<string[]> {
    await Promise.all([forgeA.pullRequest(refA), forgeB.pullRequest(refB)]); // installation tokens fetched
    const statusPosts = () => github.requests.filter((r) => r.method === "POST" && r.url.includes("/statuses/"));
    const writes = Array.from({ length: WRITE_BURST + 3 }, (_, n) =>
      forgeA.setCommitStatus(refA, sha, { state: "pending", description: `write ${n}` }),
    );
    await waitFor("A's burst arrived", () => statusPosts().length >= WRITE_BURST);
    writes.push(forgeB.setCommitStatus(refB, sha, { state: "pending", description: "B" }));
    await Promise.all(writes);
    return statusPosts().map((r) => (r.url.includes("globex") ? "B" : "A"));
  }
  /** A's writes beyond its burst go one a second; B's write, queued after them, need not wait for them. */
  function expectBNotBehindA(order: string[]): void {
    expect(order.filter((w) => w === "A")).toHaveLength(WRITE_BURST + 3);
    expect(order.slice(0, WRITE_BURST)).toEqual(Array(WRITE_BURST).fill("A"));
    expect(order.slice(-2)).toEqual(["A", "A"]);
    expect(order).toContain("B");
  }
  const posts = (repo: FakeRepository) =>
    github.requests.filter((r) => r.method === "POST" && r.url.includes(`/repos/${repo.fullName}/`));

  it("hands a secondary rate limit (403 with retry-after) to the queue with GitHub's wait, without retrying it itself", async () => {
    github.inject({
      method: "POST",
      path: /\/statuses\//,
      answer: [403, { message: SECONDARY, documentation_url: "https://docs.github.com/rest" }, { "retry-after": "30" }],
    });
    const error = await (
      await forgeFor(A)
    )
      .setCommitStatus(refA, sha, { state: "pending", description: "Deploying" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubError);
    expect(error).toMatchObject({ kind: "transient", status: 403, retryAfterMs: 30_000 });
    expect(posts(repoA)).toHaveLength(1);
    expect(repoA.statuses).toHaveLength(0);
  });

  it("hands a 429 to the queue with GitHub's wait, without retrying it itself", async () => {
    github.inject({
      method: "POST",
      path: /\/statuses\//,
      answer: [429, { message: "Too Many Requests" }, { "retry-after": "12" }],
    });
    const error = await (
      await forgeFor(A)
    )
      .setCommitStatus(refA, sha, { state: "pending", description: "Deploying" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "transient", status: 429, retryAfterMs: 12_000 });
    expect(posts(repoA)).toHaveLength(1);
  });

  it("waits for a primary rate limit's reset within the job when it is near, and leaves a far one to the queue", async () => {
    const limited = (resetInS: number): GitHubFault => ({
      method: "POST",
      path: /\/statuses\//,
      answer: [
        403,
        { message: `API rate limit exceeded for installation ID ${A}.` },
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + resetInS) },
      ],
    });
    const forge = await forgeFor(A);
    github.inject(limited(1));
    await forge.setCommitStatus(refA, sha, { state: "pending", description: "Deploying" });
    expect(posts(repoA).map((r) => r.status)).toEqual([403, 201]);

    github.inject(limited(600));
    const error = await forge
      .setCommitStatus(refA, sha, { state: "success", description: "Ready" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "transient", status: 403 });
    expect((error as GitHubError).retryAfterMs).toBeGreaterThan(590_000);
    expect(posts(repoA).map((r) => r.status)).toEqual([403, 201, 403]);
  });

  it("retries a 502 on a read in-process, and the comment gets posted once", async () => {
    github.inject({ method: "GET", path: /\/issues\/1\/comments$/, answer: [502, { message: "Server Error" }] });
    await upsertStickyComment(await forgeFor(A), refA, "deploying", silentLogger);
    expect(
      github.requests.filter((r) => r.method === "GET" && r.url.includes("/issues/1/comments")).map((r) => r.status),
    ).toEqual([502, 200]);
    expect(repoA.botComments(1)).toHaveLength(1);
  });

  it("never repeats a create that GitHub answered 502 after doing it; the next upsert edits that comment", async () => {
    github.inject({
      method: "POST",
      path: /\/issues\/1\/comments$/,
      answer: [502, { message: "Server Error" }],
      afterActing: true,
    });
    const forge = await forgeFor(A);
    const error = await upsertStickyComment(forge, refA, "deploying", silentLogger).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "transient", status: 502 });
    await upsertStickyComment(forge, refA, "ready", silentLogger);
    expect(repoA.botComments(1)).toHaveLength(1);
    expect(repoA.botComments(1)[0]?.body).toContain("ready");
  });

  it("never creates a second deployment when GitHub answered 502 after creating the first", async () => {
    github.inject({
      method: "POST",
      path: /\/deployments$/,
      answer: [502, { message: "Server Error" }],
      afterActing: true,
    });
    const forge = await forgeFor(A);
    const status = { environment: "github-acme-shop-pr-1", sha, state: "in_progress" as const, url: null };
    expect(await forge.setEnvironmentStatus(refA, status).catch((e: unknown) => e)).toMatchObject({
      kind: "transient",
      status: 502,
    });
    await forge.setEnvironmentStatus(refA, { ...status, state: "success", url: "https://pr-1.preview.example.com" });
    expect(repoA.deployments.map((d) => d.sha)).toEqual([sha]);
    expect(repoA.deployments[0]?.statuses.map((x) => x.state)).toEqual(["success"]);
  });

  it("gives up on a create GitHub never answers, and the next upsert finds what GitHub did create", async () => {
    github.stop();
    // The same Octokit with a short answer timeout (30 s in production).
    ({ github, probot } = appWith(
      { [A]: "ghs_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
      PrboxOctokit.defaults({ request: { fetch: fetchWithAnswerTimeout(500) } }),
    ));
    repoA = github.addRepository("acme/shop", A);
    await repoA.push(sha, { "environment.toml": "" });
    repoA.openPullRequest(1, { ref: "feature", sha });
    github.inject({ method: "POST", path: /\/issues\/1\/comments$/, answer: [201, {}], afterActing: true, hang: true });
    const forge = await forgeFor(A);
    const error = await upsertStickyComment(forge, refA, "deploying", silentLogger).catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: "transient",
      message: expect.stringContaining("cannot reach GitHub (ETIMEDOUT)"),
    });
    await upsertStickyComment(forge, refA, "ready", silentLogger);
    expect(repoA.botComments(1).map((c) => c.body)).toEqual([expect.stringContaining("ready")]);
  });

  it("throttles the writes of each installation separately: a busy installation does not hold up another", async () => {
    expectBNotBehindA(await writesInOrder(await forgeFor(A), await forgeFor(B)));
  });

  it("throttles a webhook's octokit per installation too", async () => {
    const appOctokit = await probot.auth();
    const eventOctokit = async (installation: number) =>
      (await appOctokit.auth({
        type: "event-octokit",
        event: { name: "pull_request", payload: { action: "opened", installation: { id: installation } } },
      })) as ProbotOctokit;
    expectBNotBehindA(
      await writesInOrder(
        new GitHubForge(
          await eventOctokit(A),
          appBot(() => probot.auth()),
        ),
        new GitHubForge(
          await eventOctokit(B),
          appBot(() => probot.auth()),
        ),
      ),
    );
  });
});
