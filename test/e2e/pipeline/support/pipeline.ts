// One prbox serving both forges (as production may), the fake GitHub and the fake GitLab, for the
// calling describe block; tests get a `t` whose `forge` is a repository (GitHub) or project
// (GitLab) of their own, so the tests of a block run concurrently. The shared suites
// (test/pipeline/*.suite.ts) run once per forge through this.
import { randomBytes } from "node:crypto";
import nock from "nock";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { ForgeName } from "../../../../src/core/forge.js";
import { deleteNamespacesOf, kube, type Kube } from "../../github/support/cluster.js";
import { credentialsOf, startPrbox, type PrboxOptions, type RunningPrbox } from "../../github/support/prbox.js";
import { until, type WaitOptions } from "../../github/support/wait.js";
import { startFakeGitHub, type FakeGitHub } from "../../../support/fake-github.js";
import { startFakeGitLab, type FakeGitLab } from "../../../support/fake-gitlab.js";
import type { Delivery, DeliveryAnswer, ForgeHarness } from "./forge.js";
import { githubHarness } from "./github.js";
import { gitlabHarness } from "./gitlab.js";

export interface PipelineTest {
  prbox: RunningPrbox;
  /** The fakes themselves, for forge-specific tests. */
  github: FakeGitHub;
  gitlab: FakeGitLab;
  kube: Kube;
  /** This test's repository (GitHub) or project (GitLab) on the forge the suite runs for. */
  forge: ForgeHarness;
  /** Another repository or project for this test, on either forge (both are served at once). */
  another(name: ForgeName): ForgeHarness;
  /**
   * Sends a delivery and expects 200. `replies`: the delivery makes prbox comment, which waits for
   * the installation's comment pace (one every 3 s, Octokit's throttling): GitHub's webhook
   * middleware then answers 202 "still processing" after 9 s and carries on, as GitHub allows;
   * the test waits for what it expects to see.
   */
  deliver(delivery: Delivery, options?: { id?: string; replies?: boolean }): Promise<DeliveryAnswer>;
  /** Waits (bounded) until `probe` answers; fails at once when a fake saw a bad request. */
  until<T>(
    what: string,
    probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
    options?: WaitOptions,
  ): Promise<T>;
  /** Waits (bounded) until no reconcile job of this test's environments waits or runs. */
  settled(): Promise<void>;
  /** The body of prbox's sticky comment on `forge`'s PR, or "" while there is none. */
  sticky(pr: number): string;
}

interface Fakes {
  prbox: RunningPrbox;
  github: FakeGitHub;
  gitlab: FakeGitLab;
}

/** Every credential prbox holds or a fake handed out: none may appear in logs or in what prbox sent. */
function assertNoCredentialLeaked({ prbox, github, gitlab }: Fakes): void {
  const logs = prbox.logs();
  const sent = [...github.requests, ...gitlab.requests];
  for (const credential of [...credentialsOf(prbox, github), ...gitlab.credentials]) {
    const shown = `${credential.slice(0, 6)}…`;
    if (logs.includes(credential)) throw new Error(`prbox logged a credential (${shown})`);
    const where = sent.find((r) => r.body.includes(credential));
    if (where) throw new Error(`prbox sent a credential (${shown}) in ${where.method} ${where.url}`);
  }
}

function harnessOn(name: ForgeName, fakes: Fakes, path: string): ForgeHarness {
  if (name === "github")
    return githubHarness(fakes.prbox, fakes.github, fakes.github.addRepository(path, fakes.prbox.installationId));
  return gitlabHarness(fakes.prbox, fakes.gitlab, fakes.gitlab.addProject(path));
}

/**
 * The `it` of a shared suite run for `forge`. After each test: wait until its environments have
 * no job left, check that neither fake saw a request its forge would refuse and that no
 * credential leaked, and delete its namespaces (without waiting).
 */
/**
 * The timeout of a suite's concurrent tests. They share one installation, whose writes go at
 * GitHub's pace (eight at once, then one a second; src/forges/github/octokit.ts) and whose
 * comments one every 3 s: a test with several deploys waits for the others' writes, which is the
 * pace working, not prbox being slow.
 */
export const SHARED_PACE_TIMEOUT = { timeout: 120_000 };

export function usePipeline(forge: ForgeName, options: PrboxOptions | (() => Promise<PrboxOptions>) = {}) {
  let fakes: Fakes | undefined;
  let repos = 0;
  const k = kube();

  beforeAll(async () => {
    const prbox = await startPrbox(typeof options === "function" ? await options() : options);
    const github = startFakeGitHub({
      app: { id: prbox.appId, slug: "prbox-preview", publicKey: prbox.publicKey },
      installations: { [prbox.installationId]: prbox.installationToken },
    });
    fakes = { prbox, github, gitlab: startFakeGitLab({ token: prbox.gitlab.token }) };
  });
  afterAll(async () => {
    fakes?.github.stop();
    fakes?.gitlab.stop();
    await fakes?.prbox.stop();
    nock.enableNetConnect();
  });

  return test.extend<{ t: PipelineTest }>({
    // eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from this pattern
    t: async ({}, use) => {
      if (!fakes) throw new Error("prbox is not running: usePipeline's beforeAll failed");
      const running = fakes;
      const harnesses: ForgeHarness[] = [];
      const another = (name: ForgeName) => {
        const harness = harnessOn(
          name,
          running,
          `acme/shop-${running.prbox.prefix.slice(4)}-${randomBytes(2).toString("hex")}-${++repos}`,
        );
        harnesses.push(harness);
        return harness;
      };
      const t = pipelineTest(running, k, another(forge), another, harnesses);
      await use(t);
      try {
        await t.settled();
        running.github.assertNoProblems();
        running.gitlab.assertNoProblems();
        assertNoCredentialLeaked(running);
      } finally {
        for (const harness of harnesses) await deleteNamespacesOf(k, harness.repo);
      }
    },
  });
}

function pipelineTest(
  fakes: Fakes,
  k: Kube,
  forge: ForgeHarness,
  another: (name: ForgeName) => ForgeHarness,
  harnesses: ForgeHarness[],
): PipelineTest {
  const check = () => {
    fakes.github.assertNoProblems();
    fakes.gitlab.assertNoProblems();
  };
  const t: PipelineTest = {
    prbox: fakes.prbox,
    github: fakes.github,
    gitlab: fakes.gitlab,
    kube: k,
    forge,
    another,
    async deliver(delivery, options) {
      const answer = await delivery.send(options);
      const accepted = options?.replies === true && answer.status === 202 && answer.body === "still processing\n";
      if (!accepted) expect(answer.status, `delivery ${answer.id} answered ${answer.status} ${answer.body}`).toBe(200);
      return answer;
    },
    until: (what, probe, options = {}) => until(what, probe, { check, ...options }),
    async settled() {
      const ours = new Set(harnesses.flatMap((h) => h.pullRequests().map((pr) => h.environmentId(pr))));
      await t.until("prbox finished its work on this test's repositories (no reconcile job left)", async () =>
        (await fakes.prbox.pendingJobs()).every((env) => !ours.has(env)),
      );
    },
    sticky: (pr) => forge.stickyComments(pr)[0]?.body ?? "",
  };
  return t;
}
