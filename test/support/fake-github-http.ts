// The fake GitHub (fake-github.ts) over real loopback HTTP, for prbox processes other than the
// test's own: nock intercepts only in the process that installed it. The child processes are
// pointed at it as at a GitHub Enterprise Server (GHE_HOST=127.0.0.1:port, GHE_PROTOCOL=http):
// the API answers under /api/v3, codeload under /codeload. One fake, one state: what a child
// posts is what the test reads.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { CODELOAD, GITHUB_API, type FakeGitHub } from "./fake-github.js";

export interface ServedGitHub {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** GHE_HOST and GHE_PROTOCOL for a prbox process. */
  env: { GHE_HOST: string; GHE_PROTOCOL: "http" };
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

async function toRequest(req: IncomingMessage, target: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (HOP_BY_HOP.has(name) || value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const method = req.method ?? "GET";
  const body = method === "GET" || method === "HEAD" ? undefined : Buffer.concat(chunks);
  return new Request(target, { method, headers, body });
}

/** Which of the fake's origins a local path belongs to, and the path there. */
function route(path: string): { origin: string; rest: string } {
  if (path.startsWith("/codeload/")) return { origin: CODELOAD, rest: path.slice("/codeload".length) };
  return { origin: GITHUB_API, rest: path.replace(/^\/api\/v3(?=\/)/, "") };
}

export async function serveFakeGitHub(github: FakeGitHub): Promise<ServedGitHub> {
  let local = "";
  // Redirects (codeload) and pagination links name github.com's hosts: point them here.
  const localize = (text: string) =>
    text.replaceAll(CODELOAD, `${local}/codeload`).replaceAll(GITHUB_API, `${local}/api/v3`);
  const server = createServer((req, res) => {
    const { origin, rest } = route(req.url ?? "/");
    toRequest(req, `${origin}${rest}`)
      .then((request) => github.handle(request, origin))
      .then(([status, body, headers = {}]) => {
        const out: Record<string, string> = {};
        for (const [name, value] of Object.entries(headers)) out[name] = localize(value);
        if (body === undefined || typeof body === "string" || Buffer.isBuffer(body)) {
          res.writeHead(status, out);
          res.end(body ?? "");
          return;
        }
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...out });
        res.end(JSON.stringify(body));
      })
      .catch((error: unknown) => {
        github.problems.push(`the served fake failed on ${req.method ?? "?"} ${req.url ?? "?"}: ${String(error)}`);
        res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  local = `http://${host}`;
  return {
    url: local,
    env: { GHE_HOST: host, GHE_PROTOCOL: "http" },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
