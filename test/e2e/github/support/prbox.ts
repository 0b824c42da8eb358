// prbox as it runs in production (src/main: createRuntime + startServer + startWorker), in this
// process, against the real Redis and the real test cluster; only GitHub is the fake. One prbox
// and one fake GitHub per describe block; every test gets a repository of its own in the fake
// (so its own namespaces, comments, statuses), which lets the tests of a block run concurrently.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import nock from "nock";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { loadConfig } from "../../../../src/config/config.js";
import { STICKY_MARKER } from "../../../../src/core/sticky-comment.js";
import { createLogger } from "../../../../src/log.js";
import { createRuntime, type Runtime } from "../../../../src/main/runtime.js";
import { startServer, type Stoppable } from "../../../../src/main/server.js";
import { startWorker } from "../../../../src/main/worker.js";
import {
  startFakeGitHub,
  type FakeComment,
  type FakeGitHub,
  type FakeRepository,
} from "../../../support/fake-github.js";
import { testKubeconfig } from "../../../support/cluster-fixtures.js";
import { GITLAB_URL } from "../../../support/fake-gitlab.js";
import { freePort } from "../../../setup/redis.js";
import { deleteNamespacesOf, environmentOf, kube, namespaceOf, type Kube } from "./cluster.js";
import { until, type WaitOptions } from "./wait.js";
import { deliver, type Delivery, type DeliveryAnswer, type SendOptions } from "./webhooks.js";
import { LogCapture } from "../../../support/log-capture.js";

export interface PrboxOptions {
  /** Another Redis than the test run's (e.g. a private one a test stops). */
  redisUrl?: string;
  /** More environment variables, e.g. PRBOX_DEPLOY_TIMEOUT. */
  env?: Record<string, string>;
  /**
   * The identity of an earlier prbox (its app, installation, GitLab token, Redis prefix): a
   * restart of the same installation. Its Redis keys are the caller's: stop() leaves them.
   */
  restartOf?: RunningPrbox;
  /** stop() leaves this prbox's Redis keys, for a restart (restartOf) to find them. */
  keepRedisKeys?: boolean;
}

/** A running prbox and the credentials GitHub knows it by. */
export interface RunningPrbox {
  rt: Runtime;
  webhookUrl: string;
  baseUrl: string;
  secret: string;
  appId: string;
  publicKey: string;
  privateKey: string;
  installationId: number;
  installationToken: string;
  /** The GitLab side of the same process: GITLAB_TOKEN, GITLAB_WEBHOOK_SECRET, its webhook URL. */
  gitlab: { token: string; secret: string; webhookUrl: string };
  prefix: string;
  /** Everything prbox logged so far, one JSON line each. */
  logs(): string;
  /** Reconcile jobs that wait, are delayed or run, by environment id. */
  pendingJobs(): Promise<string[]>;
  /** The Redis keys under this prbox's prefix. */
  redisKeys(): Promise<string[]>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/** A GitHub App private key as GitHub hands it out (PKCS#1 PEM). */
function appKeys(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
}

/** An installation access token as GitHub writes them: ghs_ and 36 letters and digits. */
function installationToken(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return `ghs_${Array.from(randomBytes(36), (b) => alphabet[b % alphabet.length]).join("")}`;
}

/** A new app, installation, GitLab token and Redis prefix: what a restart keeps. */
function newIdentity(): Pick<
  RunningPrbox,
  "privateKey" | "publicKey" | "prefix" | "secret" | "appId" | "installationId" | "installationToken"
> & { gitlab: { token: string; secret: string } } {
  return {
    ...appKeys(),
    prefix: `e2e-${randomBytes(3).toString("hex")}`,
    secret: randomBytes(20).toString("hex"),
    gitlab: { token: `glpat-${randomBytes(15).toString("base64url")}`, secret: randomBytes(20).toString("hex") },
    appId: String(100_000 + randomBytes(2).readUInt16BE()),
    installationId: 40_000_000 + randomBytes(2).readUInt16BE(),
    installationToken: installationToken(),
  };
}

export async function startPrbox(options: PrboxOptions = {}): Promise<RunningPrbox> {
  const earlier = options.restartOf;
  const {
    privateKey,
    publicKey,
    prefix,
    secret,
    gitlab,
    appId,
    installationId,
    installationToken: token,
  } = earlier ?? newIdentity();
  const port = await freePort();
  const env: Record<string, string> = {
    NODE_ENV: "test",
    LOG_LEVEL: "debug",
    APP_ID: appId,
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: secret,
    // Both forges in one process, as in production: every end-to-end prbox serves GitLab too.
    GITLAB_URL,
    GITLAB_TOKEN: gitlab.token,
    GITLAB_WEBHOOK_SECRET: gitlab.secret,
    PRBOX_REDIS_URL: options.redisUrl ?? inject("redisUrl"),
    PRBOX_REDIS_PREFIX: prefix,
    KUBECONFIG: testKubeconfig(),
    HOST: "127.0.0.1",
    PORT: String(port),
    PRBOX_SPEC_PATH: "environment.toml",
    PRBOX_DEPLOY_TIMEOUT: "30s",
    PRBOX_WORKER_CONCURRENCY: "4",
    // These tests drive every change by webhook; the resync's own tests turn it on (test/pipeline/resync.suite.ts).
    PRBOX_RESYNC_INTERVAL: "0s",
    ...options.env,
  };
  const capture = new LogCapture();
  const config = loadConfig(env);
  const log = createLogger({ level: config.logLevel, destination: capture });
  const rt = await createRuntime(config, log, env as NodeJS.ProcessEnv);
  const parts: Stoppable[] = [];
  try {
    parts.push(await startServer(rt));
    parts.push(await startWorker(rt));
  } catch (error) {
    for (const part of parts) await part.stop();
    await rt.close();
    throw error;
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  const redisKeys = async () => (await rt.redis.keys(`${prefix}:*`)).sort();
  return {
    rt,
    baseUrl,
    webhookUrl: `${baseUrl}/api/github/webhooks`,
    secret,
    appId: env.APP_ID as string,
    publicKey,
    privateKey,
    installationId,
    installationToken: token,
    gitlab: { ...gitlab, webhookUrl: `${baseUrl}/api/gitlab/webhooks` },
    prefix,
    logs: () => capture.lines.join(""),
    async pendingJobs() {
      const jobs = await rt.queue.bull.getJobs(["waiting", "active", "delayed", "prioritized"]);
      return jobs.map((job) => job.data.envId);
    },
    redisKeys,
    async metrics() {
      return (await fetch(`${baseUrl}/metrics`)).text();
    },
    async stop() {
      // PRBOX_E2E_LOGS=<dir> keeps each prbox's log for a look after the run.
      if (process.env.PRBOX_E2E_LOGS)
        await writeFile(path.join(process.env.PRBOX_E2E_LOGS, `${prefix}.log`), capture.lines.join(""));
      for (const part of parts.reverse()) await part.stop();
      const keys = earlier || options.keepRedisKeys ? [] : await redisKeys().catch(() => []);
      if (keys.length > 0) await rt.redis.del(...keys).catch(() => undefined);
      await rt.close();
    },
  };
}

/** What one test works with: the running app, its own repository in the fake GitHub, the cluster. */
export interface PreviewTest {
  readonly prbox: RunningPrbox;
  readonly github: FakeGitHub;
  /** This test's repository: nobody else's PRs, comments, statuses or namespaces are in it. */
  readonly repo: FakeRepository;
  readonly kube: Kube;
  /** Sends a delivery to the app; the answer is returned whatever its status. */
  send(delivery: Delivery, options?: SendOptions): Promise<DeliveryAnswer>;
  /** Sends a delivery and expects it to be accepted (200), as GitHub would record it. */
  deliver(delivery: Delivery, options?: SendOptions): Promise<DeliveryAnswer>;
  /** Waits (bounded) until `probe` answers; fails at once when the fake GitHub saw a bad request. */
  until<T>(
    what: string,
    probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
    options?: WaitOptions,
  ): Promise<T>;
  /** Waits (bounded) until no reconcile job of this repository's environments waits or runs. */
  settled(): Promise<void>;
  /** prbox's sticky comments on the PR (there should be exactly one). */
  stickyComments(pr: number): FakeComment[];
  /** The body of prbox's sticky comment, or "" while there is none. */
  sticky(pr: number): string;
  namespace(pr: number): string;
  environment(pr: number): string;
}

/**
 * One prbox and one fake GitHub for the calling describe block, and an `it` whose tests get a
 * `t: PreviewTest`. After each test: wait until its environments have no job left, check that
 * GitHub saw no request it would refuse and that no credential leaked into the logs or into
 * anything sent to GitHub, and delete its namespaces (without waiting).
 */
export function useGitHubApp(options: PrboxOptions | (() => Promise<PrboxOptions>) = {}) {
  let prbox: RunningPrbox | undefined;
  let github: FakeGitHub | undefined;
  let repos = 0;
  const k = kube();

  beforeAll(async () => {
    prbox = await startPrbox(typeof options === "function" ? await options() : options);
    github = startFakeGitHub({
      app: { id: prbox.appId, slug: "prbox-preview", publicKey: prbox.publicKey },
      installations: { [prbox.installationId]: prbox.installationToken },
    });
  });
  afterAll(async () => {
    github?.stop();
    await prbox?.stop();
    nock.enableNetConnect();
  });

  return test.extend<{ t: PreviewTest }>({
    // eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from this pattern
    t: async ({}, use) => {
      if (!prbox || !github) throw new Error("prbox is not running: useGitHubApp's beforeAll failed");
      const repo = github.addRepository(`acme/shop-${prbox.prefix.slice(4)}-${++repos}`, prbox.installationId);
      const t = previewTest(prbox, github, repo, k);
      await use(t);
      try {
        await t.settled();
        github.assertNoProblems();
        assertNoCredentialLeaked(prbox, github);
      } finally {
        await deleteNamespacesOf(k, repo.fullName);
      }
    },
  });
}

function previewTest(prbox: RunningPrbox, github: FakeGitHub, repo: FakeRepository, k: Kube): PreviewTest {
  const t: PreviewTest = {
    prbox,
    github,
    repo,
    kube: k,
    send: (delivery, options) => deliver(prbox.webhookUrl, prbox.secret, delivery, options),
    async deliver(delivery, options) {
      const answer = await t.send(delivery, options);
      expect(answer.status, `delivery ${answer.id} answered ${answer.status} ${answer.body}`).toBe(200);
      return answer;
    },
    until: (what, probe, options = {}) => until(what, probe, { check: () => github.assertNoProblems(), ...options }),
    async settled() {
      const ours = new Set([...repo.pulls.keys()].map((pr) => t.environment(pr)));
      await t.until("prbox finished its work on this repository (no reconcile job left)", async () =>
        (await prbox.pendingJobs()).every((env) => !ours.has(env)),
      );
    },
    stickyComments: (pr) => repo.botComments(pr).filter((c) => c.body.includes(STICKY_MARKER)),
    sticky: (pr) => t.stickyComments(pr)[0]?.body ?? "",
    namespace: (pr) => namespaceOf(repo.fullName, pr),
    environment: (pr) => environmentOf(repo.fullName, pr),
  };
  return t;
}

/** The credentials a leak would expose: the webhook secret, the private key, every token and JWT. */
export function credentialsOf(prbox: RunningPrbox, github: FakeGitHub): string[] {
  const keyLines = prbox.privateKey.split("\n").filter((line) => line.length > 40);
  return [
    prbox.secret,
    prbox.installationToken,
    prbox.gitlab.token,
    prbox.gitlab.secret,
    ...keyLines.slice(0, 3),
    ...github.credentials,
  ];
}

/** No credential appears in prbox's logs or in any request body prbox sent to GitHub. */
export function assertNoCredentialLeaked(prbox: RunningPrbox, github: FakeGitHub): void {
  const logs = prbox.logs();
  for (const credential of credentialsOf(prbox, github)) {
    const shown = `${credential.slice(0, 6)}…`;
    if (logs.includes(credential)) throw new Error(`prbox logged a credential (${shown})`);
    const where = github.requests.find((r) => r.body.includes(credential));
    if (where) throw new Error(`prbox sent a credential (${shown}) to GitHub in ${where.method} ${where.url}`);
  }
}
