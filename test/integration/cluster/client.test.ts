import diagnostics from "node:diagnostics_channel";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectCluster } from "../../../src/cluster/index.js";
import { clusterFailure, testKubeconfig } from "../../support/cluster-fixtures.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "prbox-client-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function kubeconfigAt(server: string): Promise<string> {
  const original = await readFile(testKubeconfig(), "utf8");
  const path = join(dir, "kubeconfig");
  await writeFile(path, original.replace(/server: .*/, `server: ${server}`));
  return path;
}

describe("connecting to a cluster", () => {
  it("connects to the test cluster and knows its API server's URL", async () => {
    const cluster = await connectCluster({ kubeconfigPath: testKubeconfig() });
    expect(cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("reports an unreachable API server as one transient line that names its URL and what to do", async () => {
    const server = `https://127.0.0.1:${await closedPort()}`;
    const error = await clusterFailure(connectCluster({ kubeconfigPath: await kubeconfigAt(server) }));
    expect(error.message).toBe(
      `cannot reach the Kubernetes API at ${server}: connection refused; set KUBECONFIG or pass --kubeconfig to point prbox at a reachable cluster`,
    );
    expect(error.kind).toBe("transient");
  });

  it("reports a kubeconfig file that does not exist as a permanent error naming it", async () => {
    const missing = join(dir, "nope");
    const error = await clusterFailure(connectCluster({ kubeconfigPath: missing }));
    expect(error.message).toMatch(new RegExp(`^cannot load the kubeconfig ${missing}: .*ENOENT.*; set KUBECONFIG`));
    expect(error.message).not.toContain("\n");
    expect(error.kind).toBe("permanent");
  });

  it("refuses a context the kubeconfig does not have, listing those it has", async () => {
    const error = await clusterFailure(connectCluster({ kubeconfigPath: testKubeconfig(), context: "production" }));
    expect(error.message).toBe(`the kubeconfig ${testKubeconfig()} has no context "production" (it has: prbox-test)`);
  });

  it("merges a KUBECONFIG-style list of files as kubectl does: the first current-context wins", async () => {
    const other = join(dir, "other");
    await writeFile(
      other,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: elsewhere, cluster: {server: 'https://10.9.9.9:6443'}}]",
        "users: [{name: someone, user: {token: abc}}]",
        "contexts: [{name: elsewhere, context: {cluster: elsewhere, user: someone}}]",
        "current-context: elsewhere",
      ].join("\n"),
    );
    const list = `${testKubeconfig()}${delimiter}${other}`;

    const cluster = await connectCluster({ kubeconfigPath: list });
    expect(cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const elsewhere = await connectCluster({ kubeconfigPath: list, context: "elsewhere", probe: false });
    expect(elsewhere.server).toBe("https://10.9.9.9:6443");
  });

  it("does not touch the network when asked not to probe", async () => {
    const server = `https://127.0.0.1:${await closedPort()}`;
    const cluster = await connectCluster({ kubeconfigPath: await kubeconfigAt(server), probe: false });
    expect(cluster.server).toBe(server);
  });
});

describe("connections to the API server", () => {
  it("reuses one TLS connection for consecutive requests instead of opening one per request", async () => {
    const cluster = await connectCluster({ kubeconfigPath: testKubeconfig() });
    const opened: string[] = [];
    // undici reports every new connection on this channel (client-node 2.x talks through undici).
    const onConnected = (message: unknown) =>
      opened.push(String((message as { connectParams?: { host?: string } }).connectParams?.host));
    diagnostics.subscribe("undici:client:connected", onConnected);
    try {
      for (let i = 0; i < 5; i++) await cluster.core.listNamespace({ limit: 1 });
    } finally {
      diagnostics.unsubscribe("undici:client:connected", onConnected);
    }
    expect(opened.length).toBeLessThanOrEqual(1);
  });
});
