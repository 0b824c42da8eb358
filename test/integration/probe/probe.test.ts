// The URL probe (src/probe.ts, PRBOX_PROBE) against real HTTP servers on loopback: one that
// answers 503 until it is up, one that always fails, one that never answers.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { probeAddresses } from "../../../src/probe.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

describe("the probe", () => {
  it("asks again until the preview answers below 500", async () => {
    let asked = 0;
    const base = await serve((req, res) => {
      asked++;
      res.writeHead(asked < 3 ? 503 : 200).end(req.url);
    });
    await probeAddresses([`${base}/`], { timeoutMs: 10_000, intervalMs: 50 });
    expect(asked).toBe(3);
  });

  it("takes a 404 for an answer: the application runs, the path is the spec's business", async () => {
    const base = await serve((_req, res) => res.writeHead(404).end());
    await expect(probeAddresses([`${base}/missing`], { timeoutMs: 5_000, intervalMs: 50 })).resolves.toBeUndefined();
  });

  it("fails with each address that did not answer and its last answer", async () => {
    const up = await serve((_req, res) => res.writeHead(200).end());
    const down = await serve((_req, res) => res.writeHead(502).end());
    const error = await probeAddresses([`${up}/`, `${down}/api`], { timeoutMs: 300, intervalMs: 50 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ kind: "permanent" });
    const message = (error as Error).message;
    expect(message).toMatch(/^the preview does not answer: within 0 s this address did not answer below 500:\n/);
    expect(message).toMatch(new RegExp(`  - ${down}/api answered 502 \\(last of \\d+ tries\\)$`));
    expect(message).not.toContain(`${up}/`);
  });

  it("gives up on an address that accepts the connection and never answers", async () => {
    const silent = await serve(() => {
      /* never answers */
    });
    const error = await probeAddresses([`${silent}/`], {
      timeoutMs: 500,
      intervalMs: 50,
      requestTimeoutMs: 200,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as Error).message).toContain(`${silent}/ did not answer (no answer within 0.2 s)`);
  });
});
