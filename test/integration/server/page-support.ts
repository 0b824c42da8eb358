// The environments page as prbox serves it: loadConfig + createRuntime + startServer (src/main),
// against the real Redis, with the real test cluster or a kubeconfig that points nowhere. Only the
// data is seeded: desired and observed states through the real store, environments deployed to
// the cluster through the real deploy.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { deployEnvironment } from "../../../src/cluster/index.js";
import { loadConfig } from "../../../src/config/config.js";
import type { DesiredState, ObservedState } from "../../../src/core/desired.js";
import { createLogger } from "../../../src/log.js";
import { createRuntime, type Runtime } from "../../../src/main/runtime.js";
import { startServer } from "../../../src/main/server.js";
import {
  cleanUp,
  configMap,
  environment,
  main,
  testCluster,
  testKubeconfig,
  uniqueName,
} from "../../support/cluster-fixtures.js";
import { freePort } from "../../setup/redis.js";
import { LogCapture } from "../../support/log-capture.js";

export const TOKEN = `page-${randomBytes(16).toString("hex")}`;

export interface PageServerOptions {
  /** PRBOX_PAGE_TOKEN; null leaves it unset. Default TOKEN. */
  token?: string | null;
  /** Default the test cluster's kubeconfig. */
  kubeconfig?: string;
  redisUrl?: string;
  /** "github": Probot's server (the GitHub App); "gitlab": the plain server of a GitLab-only setup. */
  forge?: "github" | "gitlab";
  /** More settings, e.g. PRBOX_WAKE_ADDRESS. */
  env?: Record<string, string>;
}

export interface PageServer {
  rt: Runtime;
  baseUrl: string;
  logs(): string;
  /** GET with an Authorization header (or none). */
  get(path: string, authorization?: string): Promise<Response>;
  stop(): Promise<void>;
}

function forgeEnv(forge: "github" | "gitlab"): Record<string, string> {
  if (forge === "gitlab")
    return {
      GITLAB_TOKEN: "glpat-page-test",
      GITLAB_WEBHOOK_SECRET: randomBytes(16).toString("hex"),
      GITLAB_URL: "https://gitlab.example.com/",
    };
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { APP_ID: "123456", PRIVATE_KEY: privateKey, WEBHOOK_SECRET: randomBytes(16).toString("hex") };
}

export async function startPageServer(options: PageServerOptions = {}): Promise<PageServer> {
  const port = await freePort();
  const token = options.token === undefined ? TOKEN : options.token;
  const env: Record<string, string> = {
    NODE_ENV: "test",
    LOG_LEVEL: "debug",
    HOST: "127.0.0.1",
    PORT: String(port),
    PRBOX_REDIS_URL: options.redisUrl ?? inject("redisUrl"),
    PRBOX_REDIS_PREFIX: `page-${randomBytes(4).toString("hex")}`,
    KUBECONFIG: options.kubeconfig ?? testKubeconfig(),
    ...forgeEnv(options.forge ?? "github"),
    ...(token === null ? {} : { PRBOX_PAGE_TOKEN: token }),
    ...options.env,
  };
  const capture = new LogCapture();
  const config = loadConfig(env);
  const rt = await createRuntime(
    config,
    createLogger({ level: config.logLevel, destination: capture }),
    env as NodeJS.ProcessEnv,
  );
  const server = await startServer(rt);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    rt,
    baseUrl,
    logs: () => capture.lines.join(""),
    get: (p, authorization) => fetch(`${baseUrl}${p}`, { headers: authorization ? { authorization } : {} }),
    async stop() {
      await server.stop();
      if (rt.redis.status === "ready") {
        await rt.queue.bull.obliterate({ force: true });
        const keys = await rt.redis.keys(`${config.redisPrefix}:*`);
        if (keys.length > 0) await rt.redis.del(...keys);
      }
      await rt.close();
    },
  };
}

export const bearer = (token = TOKEN) => `Bearer ${token}`;
export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** Stores an environment's desired state (and what the reconciler did) through the real store. */
export async function seed(rt: Runtime, desired: DesiredState, observed?: Partial<ObservedState>): Promise<void> {
  await rt.store.updateDesired(desired.envId, () => desired);
  if (observed === undefined) return;
  const stored = await rt.store.getDesired(desired.envId);
  await rt.store.setObserved({
    envId: desired.envId,
    sha: desired.sha,
    reloadRequest: desired.reloadRequest,
    generation: stored?.generation ?? 0,
    status: "ready",
    error: null,
    at: "2026-11-22T10:00:00.000Z",
    ...observed,
  });
}

/**
 * Deploys a one-ConfigMap environment for the PR into the test cluster, as the worker would. Its
 * id is the desired state's envId; `remove` deletes its namespace (without waiting).
 */
export async function deployPreview(pr: {
  repo: string;
  pr: number;
  branch: string;
  sha: string;
  url: string | null;
}): Promise<{ id: string; remove(): Promise<void> }> {
  const cluster = testCluster();
  const rendered = environment({ id: uniqueName("page"), objects: [main(configMap("settings"))] });
  rendered.environment.pr = { forge: "github", repo: pr.repo, pr: pr.pr, branch: pr.branch, sha: pr.sha };
  rendered.environment.url = pr.url;
  const { id } = rendered.environment;
  const remove = () => cleanUp(cluster, id);
  try {
    await deployEnvironment(cluster, rendered, { wait: false, timeoutMs: 30_000 });
  } catch (error) {
    await remove();
    throw error;
  }
  return { id, remove };
}

/** A kubeconfig whose API server is `server` (an address that refuses, or one that never answers). */
export async function kubeconfigFor(server: string): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "prbox-page-"));
  const file = path.join(dir, "kubeconfig");
  await writeFile(
    file,
    `apiVersion: v1
kind: Config
clusters: [{ name: nowhere, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]
users: [{ name: nobody, user: { token: not-a-real-token } }]
contexts: [{ name: nowhere, context: { cluster: nowhere, user: nobody } }]
current-context: nowhere
`,
  );
  return { path: file, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A TCP server that accepts connections and never answers: an API server that hangs. */
export async function silentServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
