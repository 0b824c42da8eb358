// Webhook deliveries for the edge tests: cases read from fixtures/malformed, sent over a plain
// TCP socket to prbox's real webhook server (GitHub and GitLab configured, no worker), and a full
// dump of prbox's Redis keys to compare before and after.
import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { once } from "node:events";
import { createServer } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";
import { setImmediate } from "node:timers/promises";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import { inject } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { createLogger } from "../../../src/log.js";
import { createRuntime, type Runtime } from "../../../src/main/runtime.js";
import { startServer, type Stoppable } from "../../../src/main/server.js";
import { RECONCILE_QUEUE } from "../../../src/queue/index.js";
import { waitFor } from "../queue/support.js";
import { freePort } from "../../setup/redis.js";

export const FIXTURES = path.resolve(import.meta.dirname, "../../../fixtures/malformed");
export const manifest = JSON.parse(readFileSync(path.join(FIXTURES, "manifest.json"), "utf8")) as Record<
  Forge,
  Record<string, number>
>;
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

export type Forge = "github" | "gitlab";
export type Json = Record<string, unknown>;

/** One case file; see fixtures/malformed/README.md. */
export interface Case {
  why: string;
  method?: string;
  path?: string;
  event: string | null;
  headers?: Record<string, string | null>;
  base?: string;
  unset?: string[];
  set?: Record<string, unknown>;
  payload?: Json;
  raw?: string;
  bytes?: number;
  chunked?: boolean;
  signature?: "missing" | "no-prefix" | "truncated" | "sha1" | "wrong-secret" | "other-body";
  token?: "missing" | "wrong";
  answer?: string;
  repeat?: boolean;
}

export function cases(forge: Forge): [string, Case][] {
  return readdirSync(path.join(FIXTURES, forge))
    .filter((file) => file.endsWith(".json"))
    .map((file) => [
      file.replace(/\.json$/, ""),
      JSON.parse(readFileSync(path.join(FIXTURES, forge, file), "utf8")) as Case,
    ]);
}

/** A GitHub example payload ("pull_request.opened"), as a GitHub App gets it: with its installation. */
export function githubBase(name: string): Json {
  const [event, action] = name.split(".");
  const found = examples
    .find((e) => e.name === event)
    ?.examples.find((e) => action === undefined || (e as { action?: string }).action === action);
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${name}`);
  return {
    ...(structuredClone(found) as unknown as Json),
    installation: { id: 4242, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" },
  };
}

export function gitlabBase(name: string): Json {
  return JSON.parse(readFileSync(path.resolve(FIXTURES, "../gitlab", `${name}.json`), "utf8")) as Json;
}

/** Sets (or with `undefined`, removes) the value at a dotted path. */
export function edit(payload: Json, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  const last = keys.pop() as string;
  const parent = keys.reduce<Json>((node, key) => node[key] as Json, payload);
  if (value === undefined) delete parent[last];
  else parent[last] = value;
}

export function body(forge: Forge, c: Case): Buffer {
  if (c.raw !== undefined) return Buffer.from(c.raw);
  const payload = c.payload ?? (forge === "github" ? githubBase(c.base as string) : gitlabBase(c.base as string));
  for (const key of c.unset ?? []) edit(payload, key, undefined);
  for (const [key, value] of Object.entries(c.set ?? {})) edit(payload, key, value);
  return Buffer.from(JSON.stringify(payload));
}

function githubSignature(secret: string, c: Case, payload: Buffer): string | null {
  const hmac = (key: string, data: Buffer | string, algorithm = "sha256") =>
    createHmac(algorithm, key).update(data).digest("hex");
  switch (c.signature) {
    case "missing":
      return null;
    case "no-prefix":
      return hmac(secret, payload);
    case "truncated":
      return `sha256=${hmac(secret, payload).slice(0, 40)}`;
    case "sha1":
      return `sha1=${hmac(secret, payload, "sha1")}`;
    case "wrong-secret":
      return `sha256=${hmac("not-the-webhook-secret", payload)}`;
    case "other-body":
      return `sha256=${hmac(secret, "{}")}`;
    default:
      return `sha256=${hmac(secret, payload)}`;
  }
}

export interface Prepared {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body, or its size when it is only zeros and x's sent in chunks (the oversized cases). */
  body: Buffer | number;
  chunked: boolean;
}

export function prepare(
  forge: Forge,
  c: Case,
  secrets: { github: string; gitlab: string },
  id: string = randomUUID(),
): Prepared {
  const payload = c.bytes === undefined ? body(forge, c) : Buffer.alloc(0);
  const defaults: Record<string, string | null> =
    forge === "github"
      ? {
          "content-type": "application/json",
          "user-agent": "GitHub-Hookshot/5a4e8f1",
          "x-github-event": c.event,
          "x-github-delivery": id,
          "x-hub-signature-256": githubSignature(secrets.github, c, payload),
        }
      : {
          "content-type": "application/json",
          "user-agent": "GitLab/18.5.1",
          "x-gitlab-event": c.event,
          "x-gitlab-token": c.token === "missing" ? null : c.token === "wrong" ? "not-the-secret" : secrets.gitlab,
          "idempotency-key": id,
        };
  const headers = Object.fromEntries(
    Object.entries({ ...defaults, ...c.headers }).filter((entry): entry is [string, string] => entry[1] !== null),
  );
  return {
    method: c.method ?? "POST",
    path: c.path ?? `/api/${forge}/webhooks`,
    headers,
    body: c.bytes ?? payload,
    chunked: c.chunked === true,
  };
}

export interface Answer {
  status: number;
  text: string;
  /** Bytes of the body written when the answer came. */
  sent: number;
  total: number;
}

/**
 * Sends the request over a plain TCP socket, writing the body in 64 KiB pieces and stopping as
 * soon as an answer arrives, so a refusal that comes early is seen early.
 */
export async function send(baseUrl: string, prepared: Prepared): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  const total = typeof prepared.body === "number" ? prepared.body : prepared.body.length;
  const framing = prepared.chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(total) };
  const head = Object.entries({ host: `${hostname}:${port}`, ...prepared.headers, ...framing }).map(
    ([k, v]) => `${k}: ${v}\r\n`,
  );
  const socket = connect(Number(port), hostname);
  await once(socket, "connect");
  const received: Buffer[] = [];
  const progress = { sent: 0, answeredAt: null as number | null };
  socket.on("data", (chunk: Buffer) => {
    received.push(chunk);
    const response = Buffer.concat(received).toString("utf8");
    if (progress.answeredAt === null && response.includes("\r\n\r\n")) progress.answeredAt = progress.sent;
    // Kept alive, the connection stays open after the answer: close it once the answer is whole.
    if (answerComplete(response)) socket.destroy();
  });
  // Once answered, the server may close the connection under the rest of the body.
  socket.on("error", () => undefined);
  const closed = new Promise((resolve) => socket.once("close", resolve));
  socket.write(`${prepared.method} ${prepared.path} HTTP/1.1\r\n${head.join("")}\r\n`);
  await writeBody(socket, prepared, total, progress);
  await closed;
  return {
    ...parseAnswer(Buffer.concat(received).toString("utf8")),
    sent: progress.answeredAt ?? progress.sent,
    total,
  };
}

/** Writes the body until it is all sent or an answer came, yielding after every piece. */
async function writeBody(
  socket: Socket,
  prepared: Prepared,
  total: number,
  progress: { sent: number; answeredAt: number | null },
): Promise<void> {
  const piece = typeof prepared.body === "number" ? Buffer.alloc(64 * 1024, "x") : null;
  const answered = () => progress.answeredAt !== null || socket.destroyed;
  while (!answered() && progress.sent < total) {
    const chunk = piece
      ? piece.subarray(0, Math.min(piece.length, total - progress.sent))
      : (prepared.body as Buffer).subarray(progress.sent, progress.sent + 64 * 1024);
    progress.sent += chunk.length;
    const framed = prepared.chunked
      ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")])
      : chunk;
    if (!socket.write(framed)) await new Promise((resolve) => socket.once("drain", resolve).once("close", resolve));
    else await setImmediate();
  }
  if (!answered() && prepared.chunked) socket.write("0\r\n\r\n");
}

function answerComplete(response: string): boolean {
  const split = response.indexOf("\r\n\r\n");
  if (split < 0) return false;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(response.slice(0, split))?.[1];
  return length === undefined
    ? response.endsWith("0\r\n\r\n")
    : Buffer.byteLength(response.slice(split + 4)) >= Number(length);
}

function parseAnswer(response: string): { status: number; text: string } {
  const split = response.indexOf("\r\n\r\n");
  const [statusLine = "", ...headers] = response.slice(0, split).split("\r\n");
  const payload = response.slice(split + 4);
  const chunked = headers.some((line) => /^transfer-encoding:\s*chunked/i.test(line));
  return { status: Number(statusLine.split(" ")[1]), text: chunked ? unchunk(payload) : payload };
}

/** The body of a chunked HTTP answer. */
function unchunk(text: string): string {
  let out = "";
  let rest = text;
  for (;;) {
    const eol = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

export interface Server {
  rt: Runtime;
  /** Requests prbox made to GitHub or GitLab (both are this test's recording server). */
  forgeCalls: string[];
  baseUrl: string;
  prefix: string;
  secrets: { github: string; gitlab: string };
  stop(): Promise<void>;
}

/** prbox's webhook server as `prbox server` runs it, with GitHub and GitLab configured; no worker. */
export async function startWebhookServer(): Promise<Server> {
  const forgeCalls: string[] = [];
  const forge = createServer((req, res) => {
    forgeCalls.push(`${req.method} ${req.url}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => forge.listen(0, "127.0.0.1", resolve));
  const forgeHost = `127.0.0.1:${(forge.address() as AddressInfo).port}`;
  const port = await freePort();
  const prefix = `malformed-${randomBytes(3).toString("hex")}`;
  const secrets = { github: randomBytes(20).toString("hex"), gitlab: randomBytes(20).toString("hex") };
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const env: Record<string, string> = {
    NODE_ENV: "test",
    APP_ID: "123456",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: secrets.github,
    GHE_HOST: forgeHost,
    GHE_PROTOCOL: "http",
    GITLAB_URL: `http://${forgeHost}`,
    GITLAB_TOKEN: "glpat-malformed-corpus-token",
    GITLAB_WEBHOOK_SECRET: secrets.gitlab,
    PRBOX_REDIS_URL: inject("redisUrl"),
    PRBOX_REDIS_PREFIX: prefix,
    KUBECONFIG: "/nonexistent/kubeconfig",
    HOST: "127.0.0.1",
    PORT: String(port),
  };
  const rt = await createRuntime(loadConfig(env), createLogger({ level: "silent" }), env as NodeJS.ProcessEnv);
  let server: Stoppable;
  try {
    server = await startServer(rt);
  } catch (error) {
    await rt.close();
    forge.close();
    throw error;
  }
  // BullMQ writes its queue's meta key once connected, on its own time: wait for it, so no case sees it appear.
  await waitFor(
    "the reconcile queue wrote its meta key",
    async () => (await rt.redis.exists(`${prefix}:${RECONCILE_QUEUE}:meta`)) === 1,
  );
  return {
    rt,
    forgeCalls,
    baseUrl: `http://127.0.0.1:${port}`,
    prefix,
    secrets,
    async stop() {
      await server.stop();
      const keys = await rt.redis.keys(`${prefix}:*`);
      if (keys.length > 0) await rt.redis.del(...keys);
      await rt.close();
      await new Promise((resolve) => forge.close(resolve));
    },
  };
}

/** Every key under the prefix with its DUMP (type, value), for an exact before/after comparison. */
export async function redisDump(rt: Runtime, prefix: string): Promise<Record<string, string>> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await rt.redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    keys.push(...found);
    cursor = next;
  } while (cursor !== "0");
  const dump: Record<string, string> = {};
  for (const key of keys.sort()) dump[key] = (await rt.redis.dumpBuffer(key))?.toString("hex") ?? "(gone)";
  return dump;
}
