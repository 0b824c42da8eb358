import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { CoreV1Api, KubeConfig, VersionApi } from "@kubernetes/client-node";
import type { Dispatcher } from "undici";
import { ClusterError } from "../errors.js";
import { networkCode } from "../errors.js";
import { apiStatus, classifyApiError, networkReason } from "./api-errors.js";
import { ObjectApi } from "./object-api.js";

/** One connection to one Kubernetes API server, created once in main/ and passed down. */
export interface Cluster {
  readonly kubeConfig: KubeConfig;
  /** The API server's URL, for messages. */
  readonly server: string;
  /** Generic objects: server-side apply, read, list, delete of any kind, and discovery. */
  readonly objects: ObjectApi;
  /** Namespaces, pods, logs, events. */
  readonly core: CoreV1Api;
}

export interface ConnectOptions {
  /** A kubeconfig file (or a KUBECONFIG-style list); without it KUBECONFIG, then ~/.kube/config, then in-cluster credentials. */
  kubeconfigPath?: string;
  /** A context of the kubeconfig other than its current-context. */
  context?: string;
  /** Ask the API server for its version before returning, so an unreachable cluster fails here. Default true. */
  probe?: boolean;
}

const WHAT_TO_DO = "set KUBECONFIG or pass --kubeconfig to point prbox at a reachable cluster";
const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

// client-node falls back to http://localhost:8080 when it finds no configuration at
// all, which would turn "you have no kubeconfig" into a misleading "connection refused".
function hasDefaultConfig(env: NodeJS.ProcessEnv): boolean {
  if (env.KUBECONFIG) return true;
  return existsSync(join(homedir(), ".kube", "config")) || existsSync(SERVICE_ACCOUNT_TOKEN);
}

/**
 * A path, or a KUBECONFIG-style list of them, merged as kubectl merges: the
 * first file that names a cluster, user or context wins, and so does the
 * first current-context. (client-node's own merge throws on duplicates.)
 */
function loadFiles(kc: KubeConfig, paths: string): void {
  const [first, ...rest] = paths.split(delimiter).filter((p) => p !== "");
  kc.loadFromFile(first ?? paths);
  for (const path of rest) {
    const more = new KubeConfig();
    more.loadFromFile(path);
    const has = (list: readonly { name: string }[], name: string): boolean => list.some((item) => item.name === name);
    for (const c of more.clusters) if (!has(kc.clusters, c.name)) kc.addCluster(c);
    for (const u of more.users) if (!has(kc.users, u.name)) kc.addUser(u);
    for (const c of more.contexts) if (!has(kc.contexts, c.name)) kc.addContext(c);
    if (!kc.currentContext) kc.setCurrentContext(more.currentContext);
  }
}

function loadConfig(options: ConnectOptions): KubeConfig {
  const kc = new KubeConfig();
  const source = options.kubeconfigPath ?? process.env.KUBECONFIG ?? "~/.kube/config";
  if (options.kubeconfigPath === undefined && !hasDefaultConfig(process.env)) {
    throw new ClusterError(
      `no Kubernetes configuration found: KUBECONFIG is not set, ~/.kube/config does not exist and prbox is not running in a cluster; ${WHAT_TO_DO}`,
    );
  }
  try {
    if (options.kubeconfigPath !== undefined) loadFiles(kc, options.kubeconfigPath);
    else kc.loadFromDefault();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ClusterError(`cannot load the kubeconfig ${source}: ${reason}; ${WHAT_TO_DO}`, { cause: error });
  }
  if (options.context !== undefined) selectContext(kc, options.context, source);
  return kc;
}

function selectContext(kc: KubeConfig, context: string, source: string): void {
  const names = kc.getContexts().map((c) => c.name);
  if (!names.includes(context)) {
    const known = names.length > 0 ? names.join(", ") : "none";
    throw new ClusterError(`the kubeconfig ${source} has no context "${context}" (it has: ${known})`);
  }
  kc.setCurrentContext(context);
}

/**
 * client-node 2.x gives every request a new undici Agent, so every request opened a new TCP and
 * TLS connection to the API server (and left it idle for the keep-alive time). One dispatcher per
 * context reuses connections: applying 100 objects got several times faster (bench/preview.ts).
 * Credentials that change per request (tokens) travel in headers, which are still set per request.
 */
function reuseConnections(kc: KubeConfig): void {
  const authenticate = kc.applySecurityAuthentication.bind(kc);
  const shared = new Map<string, Dispatcher>();
  kc.applySecurityAuthentication = async (context) => {
    await authenticate(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const key = kc.getCurrentContext();
    const kept = shared.get(key);
    if (kept) context.setDispatcher(kept);
    else shared.set(key, fresh);
  };
}

/** A Cluster for an already loaded KubeConfig (tests build one from a string). */
export function clusterFromKubeConfig(kc: KubeConfig): Cluster {
  const current = kc.getCurrentCluster();
  if (!current) {
    throw new ClusterError(`the kubeconfig's current context names no cluster; ${WHAT_TO_DO}`);
  }
  reuseConnections(kc);
  return {
    kubeConfig: kc,
    server: current.server,
    objects: ObjectApi.forConfig(kc),
    core: kc.makeApiClient(CoreV1Api),
  };
}

/** One line that says which API server failed and how, instead of a stack trace. */
async function probe(cluster: Cluster): Promise<void> {
  try {
    await cluster.kubeConfig.makeApiClient(VersionApi).getCode();
  } catch (error) {
    if (apiStatus(error) === undefined && networkCode(error) !== undefined) {
      throw new ClusterError(
        `cannot reach the Kubernetes API at ${cluster.server}: ${networkReason(error)}; ${WHAT_TO_DO}`,
        {
          kind: "transient",
          cause: error,
        },
      );
    }
    throw classifyApiError(error, `the Kubernetes API at ${cluster.server}`);
  }
}

/** Loads the configuration, creates the API clients and (by default) checks the API server answers. */
export async function connectCluster(options: ConnectOptions = {}): Promise<Cluster> {
  const cluster = clusterFromKubeConfig(loadConfig(options));
  if (options.probe ?? true) await probe(cluster);
  return cluster;
}
