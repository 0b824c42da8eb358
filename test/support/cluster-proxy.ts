// A loopback HTTP proxy in front of the real API server, for the faults a real
// server does not produce on demand: a 500, a dropped connection. Plain http on
// 127.0.0.1; it forwards with the admin client certificate of the kubeconfig.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { clusterFromKubeConfig, type Cluster } from "../../src/cluster/index.js";

export interface Fault {
  method?: string;
  /** Matched against the request path (without the query string). */
  path: RegExp;
  /** Answer with this status and a Kubernetes Status body... */
  status?: number;
  /** ...or close the connection without answering... */
  drop?: boolean;
  /** ...or hold the request until this settles, then forward it (a slow API server; a worker caught mid-deploy). */
  hold?: Promise<unknown>;
  /** How many matching requests to spoil; default 1. */
  times?: number;
  /** More response headers with `status`, e.g. Retry-After. */
  headers?: Record<string, string>;
}

export interface SeenRequest {
  method: string;
  path: string;
  status: number | "dropped" | "held";
  /** A dry run (dryRun=All): checked by the API server, stored nothing. */
  dryRun: boolean;
}

export interface ClusterProxy {
  url: string;
  /** A Cluster whose every request goes through the proxy. */
  cluster(): Cluster;
  /** Spoil the next matching requests. */
  inject(fault: Fault): void;
  /** Forget the faults not used up yet (the API server is back). */
  clearFaults(): void;
  /** Every request seen, in arrival order. */
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

interface Upstream {
  url: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

function upstreamOf(kubeconfigPath: string): Upstream {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster) throw new Error(`${kubeconfigPath} has no current cluster`);
  const b64 = (s: string | undefined): Buffer | undefined => (s ? Buffer.from(s, "base64") : undefined);
  return { url: new URL(cluster.server), ca: b64(cluster.caData), cert: b64(user?.certData), key: b64(user?.keyData) };
}

function statusBody(code: number): string {
  return JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    message: `injected by the test proxy (HTTP ${code})`,
    reason: "InternalError",
    code,
  });
}

function forward(upstream: Upstream, req: IncomingMessage, res: ServerResponse, seen: SeenRequest): void {
  const headers = { ...req.headers, host: upstream.url.host };
  const out = httpsRequest(
    {
      hostname: upstream.url.hostname,
      port: upstream.url.port,
      path: req.url,
      method: req.method,
      headers,
      ca: upstream.ca,
      cert: upstream.cert,
      key: upstream.key,
    },
    (answer) => {
      seen.status = answer.statusCode ?? 0;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on("error", () => res.destroy());
  req.pipe(out);
}

export async function startClusterProxy(kubeconfigPath: string): Promise<ClusterProxy> {
  const upstream = upstreamOf(kubeconfigPath);
  const faults: (Required<Omit<Fault, "hold" | "headers">> & Pick<Fault, "hold" | "headers">)[] = [];
  const requests: SeenRequest[] = [];

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const dryRun = new URL(req.url ?? "/", "http://proxy").searchParams.get("dryRun") === "All";
    const seen: SeenRequest = { method: req.method ?? "GET", path, status: 0, dryRun };
    requests.push(seen);
    const fault = faults.find((f) => f.times > 0 && f.path.test(path) && (f.method === "" || f.method === req.method));
    if (!fault) return forward(upstream, req, res, seen);
    fault.times--;
    if (fault.hold) {
      seen.status = "held";
      void fault.hold.finally(() => forward(upstream, req, res, seen));
      return;
    }
    if (fault.drop) {
      seen.status = "dropped";
      req.socket.destroy();
      return;
    }
    seen.status = fault.status;
    res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
    res.end(statusBody(fault.status));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    cluster() {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        // client-node refuses an http:// server unless TLS verification is off (there is no TLS to verify).
        clusters: [{ name: "proxy", server: url, skipTLSVerify: true }],
        users: [{ name: "nobody" }],
        contexts: [{ name: "proxy", cluster: "proxy", user: "nobody" }],
        currentContext: "proxy",
      });
      return clusterFromKubeConfig(kc);
    },
    inject(fault) {
      faults.push({
        method: fault.method ?? "",
        path: fault.path,
        status: fault.status ?? 500,
        drop: fault.drop ?? false,
        times: fault.times ?? 1,
        hold: fault.hold,
        headers: fault.headers,
      });
    },
    clearFaults() {
      faults.splice(0);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
