// The resync (ADR 0021), end to end for either forge: prbox stopped while PRs change with no
// webhook, Redis losing every key while previews run; prbox started again catches up through the
// real server, worker, Redis, helm and API server. The forges are the fakes (test/support/).
// Each test stops and starts its own prbox (same app, installation and Redis prefix), so the
// tests of a file run one after the other.
import { randomBytes } from "node:crypto";
import nock from "nock";
import { describe, expect, inject, onTestFinished, test } from "vitest";
import type { ForgeName } from "../../../src/core/forge.js";
import { deleteNamespacesOf, kube, liveNamespace, namespaceExists, type Kube } from "../github/support/cluster.js";
import { startPrbox, type RunningPrbox } from "../github/support/prbox.js";
import { newSha, previewRepo } from "../github/support/sources.js";
import { until } from "../github/support/wait.js";
import { startFakeGitHub, type FakeGitHub, type FakeRepository } from "../../support/fake-github.js";
import { startFakeGitLab, type FakeGitLab, type FakeProject } from "../../support/fake-gitlab.js";
import type { ForgeHarness } from "./support/forge.js";
import { githubHarness } from "./support/github.js";
import { gitlabHarness } from "./support/gitlab.js";

/** The resync runs at start-up; the interval is long so what a test sees comes from that run. */
const RESYNC_ON = { PRBOX_RESYNC_INTERVAL: "1h" };

export interface Installation {
  /** The prbox running now. */
  prbox: RunningPrbox;
  github: FakeGitHub;
  gitlab: FakeGitLab;
  kube: Kube;
  /** This test's repository or project, driven through the prbox running now. */
  forge(): ForgeHarness;
  /** Stops prbox (its Redis keys stay, as a stopped process leaves them). */
  stop(): Promise<void>;
  /** Starts prbox again: the same app, installation, GitLab token and Redis prefix. */
  start(env?: Record<string, string>): Promise<void>;
  until<T>(
    what: string,
    probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
    state?: () => unknown,
  ): Promise<T>;
  settled(): Promise<void>;
  sticky(pr: number): string;
}

/** One prbox (first without resync: webhooks only; `env` for every start), both fakes, and a repository or project on `name`. */
export async function installation(name: ForgeName, env: Record<string, string> = {}): Promise<Installation> {
  let prbox: RunningPrbox | null = await startPrbox({ keepRedisKeys: true, env });
  const first = prbox;
  const github = startFakeGitHub({
    app: { id: first.appId, slug: "prbox-preview", publicKey: first.publicKey },
    installations: { [first.installationId]: first.installationToken },
  });
  const gitlab = startFakeGitLab({ token: first.gitlab.token });
  const path = `acme/resync-${first.prefix.slice(4)}-${randomBytes(2).toString("hex")}`;
  const place: FakeRepository | FakeProject =
    name === "github" ? github.addRepository(path, first.installationId) : gitlab.addProject(path);
  const k = kube();
  const running = () => {
    if (!prbox) throw new Error("prbox is stopped");
    return prbox;
  };
  // While prbox is stopped, a delivery goes to the stopped one's address: it reaches nobody.
  const forge = () =>
    name === "github"
      ? githubHarness(prbox ?? first, github, place as FakeRepository)
      : gitlabHarness(prbox ?? first, gitlab, place as FakeProject);
  const check = () => {
    github.assertNoProblems();
    gitlab.assertNoProblems();
  };
  const self: Installation = {
    get prbox() {
      return running();
    },
    github,
    gitlab,
    kube: k,
    forge,
    async stop() {
      await prbox?.stop();
      prbox = null;
    },
    async start(more = {}) {
      prbox = await startPrbox({ restartOf: first, env: { ...env, ...more } });
    },
    until: (what, probe, state) => until(what, probe, { check, state }),
    async settled() {
      const ours = new Set(
        forge()
          .pullRequests()
          .map((pr) => forge().environmentId(pr)),
      );
      await self.until("prbox finished its work on this test's repository (no reconcile job left)", async () =>
        (await running().pendingJobs()).every((env) => !ours.has(env)),
      );
    },
    sticky: (pr) => forge().stickyComments(pr)[0]?.body ?? "",
  };
  onTestFinished(async () => {
    try {
      await self.stop();
      check();
    } finally {
      github.stop();
      gitlab.stop();
      nock.enableNetConnect();
      await deleteNamespacesOf(k, path);
      await deleteKeys(first.prefix);
    }
  });
  return self;
}

/** Every Redis key of a prefix: what a Redis that restarts without persistence loses. */
export async function deleteKeys(prefix: string): Promise<number> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(inject("redisUrl"));
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    return keys.length;
  } finally {
    redis.disconnect();
  }
}

/** Opens PR `pr` at a new commit, by webhook, and waits until its preview is ready. */
export async function openDeployed(t: Installation, pr: number): Promise<string> {
  const sha = newSha();
  await t.forge().push(sha, await previewRepo());
  t.forge().open(pr, { ref: `feature/pr-${pr}`, sha });
  const answer = await t.forge().pullRequestEvent(pr, "opened").send();
  expect(answer.status, answer.body).toBe(200);
  await t.until(
    `#${pr} says ready`,
    () => t.sticky(pr).includes("✅ ready"),
    () => t.sticky(pr),
  );
  return sha;
}

const sha7 = (sha: string) => sha.slice(0, 7);

export function resyncSuite(name: ForgeName) {
  describe(`the resync on ${name}`, () => {
    test(
      "catches up after prbox was down: a PR opened is deployed, one pushed to is redeployed, one closed is deleted, all without a webhook",
      { timeout: 300_000 },
      async () => {
        const t = await installation(name);
        const pushed = await openDeployed(t, 2);
        const third = await openDeployed(t, 3);
        await t.settled();
        await t.stop();

        // While prbox is down: no webhook reaches it.
        const opened = newSha();
        const moved = newSha();
        await t.forge().push(opened, await previewRepo());
        await t.forge().push(moved, await previewRepo());
        t.forge().open(1, { ref: "feature/while-down", sha: opened });
        t.forge().pushTo(2, moved);
        t.forge().close(3, { merged: true });
        const startedAt = Date.now();
        await t.start(RESYNC_ON);

        await t.until(
          "#1 ready, #2 ready at its new head, #3 deleted",
          () =>
            t.sticky(1).includes("✅ ready") &&
            t.sticky(2).includes("✅ ready") &&
            t.sticky(2).includes(sha7(moved)) &&
            t.sticky(3).includes("environment deleted"),
          () => [t.sticky(1), t.sticky(2), t.sticky(3)],
        );
        await t.settled();
        const converged = Date.now() - startedAt;
        expect((await liveNamespace(t.kube, t.forge().namespace(1)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(
          opened,
        );
        expect((await liveNamespace(t.kube, t.forge().namespace(2)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(
          moved,
        );
        expect(await namespaceExists(t.kube, t.forge().namespace(3))).toBe(false);
        expect(t.sticky(3)).toContain("the pull request was closed");
        expect(t.forge().statusesOf(opened).at(-1)?.state).toBe("success");
        expect(t.forge().statusesOf(moved).at(-1)?.state).toBe("success");
        expect([...t.forge().downloads()].sort()).toEqual([pushed, third, opened, moved].sort());
        for (const pr of [1, 2, 3]) expect(t.forge().stickyComments(pr)).toHaveLength(1);
        const done = t.prbox
          .logs()
          .split("\n")
          .find((line) => line.includes('"resync done"'));
        expect(done, "the resync logged its result").toBeDefined();
        expect(JSON.parse(done ?? "{}")).toMatchObject({ fed: 2, closed: 1 });
        console.info(`resync on ${name}: converged ${converged} ms after start-up`);
      },
    );

    test(
      "deploys a draft marked ready while prbox was down (PRBOX_SKIP_DRAFTS), as the ready_for_review webhook would have",
      { timeout: 300_000 },
      async () => {
        const t = await installation(name, { PRBOX_SKIP_DRAFTS: "true" });
        const sha = newSha();
        await t.forge().push(sha, await previewRepo());
        t.forge().open(1, { ref: "feature/draft", sha, draft: true });
        expect((await t.forge().pullRequestEvent(1, "opened").send()).status).toBe(200);
        await t.until(
          "#1 says it is a draft",
          () => t.sticky(1).includes("this pull request is a draft"),
          () => t.sticky(1),
        );
        await t.settled();
        await t.stop();

        // Marked ready with no webhook reaching prbox: only the resync's listing says so.
        t.forge().markReady(1);
        await t.start(RESYNC_ON);

        await t.until(
          "#1 ready",
          () => t.sticky(1).includes("✅ ready"),
          () => t.sticky(1),
        );
        await t.settled();
        expect((await liveNamespace(t.kube, t.forge().namespace(1)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(
          sha,
        );
        expect(await t.prbox.rt.store.getDesired(t.forge().environmentId(1))).toMatchObject({ draft: false });
        expect(t.forge().stickyComments(1)).toHaveLength(1);
      },
    );

    test(
      "takes previews back after Redis lost everything: the namespace of a PR closed meanwhile is deleted, the two others adopted and still served by pushes",
      { timeout: 300_000 },
      async () => {
        const t = await installation(name);
        const first = await openDeployed(t, 1);
        const second = await openDeployed(t, 2);
        await openDeployed(t, 3);
        await t.settled();

        // Redis loses every key (a restart without persistence) while the previews run; a PR closes unseen.
        expect(await deleteKeys(t.prbox.prefix)).toBeGreaterThan(0);
        expect(await t.prbox.rt.store.getDesired(t.forge().environmentId(1))).toBeNull();
        t.forge().close(3, { merged: false });
        await t.stop();
        await t.start(RESYNC_ON);

        await t.until(
          "#3's namespace is deleted and its comment says so",
          async () =>
            !(await namespaceExists(t.kube, t.forge().namespace(3))) && t.sticky(3).includes("environment deleted"),
          () => t.sticky(3),
        );
        await t.until(
          "#1 and #2 are adopted back",
          async () =>
            (await t.prbox.rt.store.getDesired(t.forge().environmentId(1))) &&
            (await t.prbox.rt.store.getDesired(t.forge().environmentId(2))),
        );
        await t.settled();
        expect(t.sticky(3)).toContain("the pull request was closed");
        for (const [pr, sha] of [
          [1, first],
          [2, second],
        ] as const) {
          const desired = await t.prbox.rt.store.getDesired(t.forge().environmentId(pr));
          expect(desired).toMatchObject({
            action: "deploy",
            sha,
            closed: false,
            ref: { forge: name, repo: t.forge().repo, pr },
          });
          expect(await t.prbox.rt.store.getObserved(t.forge().environmentId(pr))).toMatchObject({
            sha,
            status: "ready",
          });
          expect((await liveNamespace(t.kube, t.forge().namespace(pr)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(
            sha,
          );
          expect(t.sticky(pr)).toContain("✅ ready");
        }
        // Adopted, not deployed again: nothing was downloaded since.
        expect(t.forge().downloads()).toHaveLength(3);

        // A push to an adopted PR is served as before.
        const next = newSha();
        await t.forge().push(next, await previewRepo());
        t.forge().pushTo(1, next);
        expect((await t.forge().pullRequestEvent(1, "synchronize").send()).status).toBe(200);
        await t.until(
          "#1 ready at the pushed commit",
          () => t.sticky(1).includes("✅ ready") && t.sticky(1).includes(sha7(next)),
          () => t.sticky(1),
        );
        await t.settled();
        expect((await liveNamespace(t.kube, t.forge().namespace(1)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(
          next,
        );
        expect(t.forge().stickyComments(1)).toHaveLength(1);
      },
    );
  });
}
