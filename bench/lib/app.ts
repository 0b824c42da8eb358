// prbox as `prbox start` runs it (createRuntime + startServer + startWorker), in this process,
// against a real Redis and a real test control plane; GitHub is the fake of test/support (nock),
// which also serves the repository's tarball. Deliveries are signed and POSTed over HTTP.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import nock from "nock";
import { loadConfig } from "../../src/config/config.js";
import { STICKY_MARKER } from "../../src/core/sticky-comment.js";
import { createLogger } from "../../src/log.js";
import { createRuntime, type Runtime } from "../../src/main/runtime.js";
import { startServer } from "../../src/main/server.js";
import { startWorker } from "../../src/main/worker.js";
import { startFakeGitHub, type FakeGitHub, type FakeRepository } from "../../test/support/fake-github.js";
import { freePort } from "../../test/setup/redis.js";
import { signedHeaders } from "./deliveries.js";
import type { Services } from "./services.js";

export interface BenchApp {
  rt: Runtime;
  github: FakeGitHub;
  /** The first repository; `repos` has one per installation. */
  repo: FakeRepository;
  repos: FakeRepository[];
  /** Sends the pull_request delivery for the PR as the fake has it now; resolves when prbox answered 200. */
  send(pr: number, action: "opened" | "synchronize" | "closed", repo?: FakeRepository): Promise<number>;
  /** The body of prbox's sticky comment on the PR, or "". */
  sticky(pr: number, repo?: FakeRepository): string;
  metrics(): Promise<string>;
}

export { readTree, type Files } from "../../test/e2e/github/support/sources.js";

export interface BenchAppOptions {
  redisUrl: string;
  kubeconfig: string;
  logFile: string;
  env?: Record<string, string>;
  /** Installations of the app, one repository each (Octokit paces writes per installation); default 1. */
  installations?: number;
}

export async function startBenchApp(services: Services, options: BenchAppOptions): Promise<BenchApp> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const port = await freePort();
  const secret = randomBytes(20).toString("hex");
  const installationIds = Array.from({ length: options.installations ?? 1 }, (_, i) => 40_000_001 + i);
  const env: Record<string, string> = {
    NODE_ENV: "production",
    LOG_LEVEL: "info",
    APP_ID: "123456",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: secret,
    PRBOX_REDIS_URL: options.redisUrl,
    KUBECONFIG: options.kubeconfig,
    HOST: "127.0.0.1",
    PORT: String(port),
    PRBOX_DEPLOY_TIMEOUT: "120s",
    PRBOX_WORKER_CONCURRENCY: "4",
    // Every deploy here comes by webhook and is timed from it: a resync at start-up would find the
    // first PR and deploy it first, and the timed webhook would find nothing to do.
    PRBOX_RESYNC_INTERVAL: "0s",
    ...options.env,
  };
  const logStream = createWriteStream(options.logFile);
  const rt = await createRuntime(
    loadConfig(env),
    createLogger({ level: env.LOG_LEVEL, destination: logStream }),
    env as NodeJS.ProcessEnv,
  );
  services.add("prbox runtime", async () => {
    await rt.close();
    logStream.end();
  });
  const github = startFakeGitHub({
    app: { id: env.APP_ID as string, slug: "prbox-preview", publicKey },
    installations: Object.fromEntries(installationIds.map((id) => [id, `ghs_${randomBytes(18).toString("hex")}`])),
  });
  services.add("fake GitHub", async () => {
    github.stop();
    nock.enableNetConnect();
  });
  const server = await startServer(rt);
  services.add("prbox server", () => server.stop());
  const worker = await startWorker(rt);
  services.add("prbox worker", () => worker.stop());
  const repos = installationIds.map((id, i) =>
    github.addRepository(i === 0 ? "acme/shop" : `acme-${String(i)}/shop`, id),
  );
  const repo = repos[0] as FakeRepository;
  const baseUrl = `http://127.0.0.1:${String(port)}`;
  return {
    rt,
    github,
    repo,
    repos,
    async send(pr, action, to = repo) {
      const body = JSON.stringify(pullRequestPayload(to, pr, action));
      const response = await fetch(`${baseUrl}/api/github/webhooks`, {
        method: "POST",
        headers: signedHeaders(secret, "pull_request", body),
        body,
      });
      await response.text();
      if (response.status !== 200)
        throw new Error(
          `the delivery of pull_request.${action} for #${String(pr)} was answered ${String(response.status)}`,
        );
      return response.status;
    },
    sticky: (pr, on = repo) => on.botComments(pr).find((c) => c.body.includes(STICKY_MARKER))?.body ?? "",
    metrics: async () => (await fetch(`${baseUrl}/metrics`)).text(),
  };
}

function pullRequestPayload(repo: FakeRepository, pr: number, action: string): Record<string, unknown> {
  const pull = repo.pullRequestJson(pr);
  const head = pull.head as { sha: string };
  return {
    action,
    number: pr,
    ...(action === "synchronize" ? { before: "0".repeat(40), after: head.sha } : {}),
    pull_request: pull,
    repository: repo.repositoryJson(),
    sender: pull.user,
    installation: { id: repo.installationId, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" },
  };
}

/** A histogram's sum or count per label value, from a /metrics text: `name_sum{label="x"} v`. */
export function histogramSums(
  metrics: string,
  name: string,
  label: string,
  series: "sum" | "count",
): Map<string, number> {
  const sums = new Map<string, number>();
  const pattern = new RegExp(`^${name}_${series}\\{[^}]*${label}="([^"]+)"[^}]*\\} ([0-9.e+-]+)$`);
  for (const line of metrics.split("\n")) {
    const match = pattern.exec(line);
    if (match) sums.set(match[1] as string, Number(match[2]));
  }
  return sums;
}
