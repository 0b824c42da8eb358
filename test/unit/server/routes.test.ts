import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createMetrics } from "../../../src/server/metrics.js";
import { operationalRoutes, type ReadinessCheck } from "../../../src/server/routes.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(checks: ReadinessCheck[], live = 3): Promise<string> {
  const metrics = createMetrics({ liveEnvironments: async () => live });
  metrics.deliveries.inc({ forge: "github", event: "pull_request", result: "queued" });
  const routes = operationalRoutes({ checks, metrics, timeoutMs: 200 });
  const server = createServer(async (req, res) => {
    if (!(await routes(req, res))) {
      res.writeHead(404);
      res.end();
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("operational routes", () => {
  it("answers /healthz", async () => {
    const base = await serve([]);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
  });

  it("is ready only when every dependency answers, and names the ones that do not", async () => {
    const base = await serve([
      { name: "redis", check: async () => {} },
      { name: "kubernetes", check: async () => Promise.reject(new Error("connection refused")) },
      { name: "slow", check: () => new Promise(() => {}) },
    ]);
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("kubernetes: connection refused\nslow: no answer in 200 ms\n");
    const ok = await serve([{ name: "redis", check: async () => {} }]);
    expect((await fetch(`${ok}/readyz`)).status).toBe(200);
  });

  it("serves Prometheus metrics with prbox's counters and the live environment gauge", async () => {
    const base = await serve([], 7);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('prbox_webhook_deliveries_total{forge="github",event="pull_request",result="queued"} 1');
    expect(text).toContain("prbox_live_environments 7");
    expect(text).toContain("# TYPE prbox_deploy_duration_seconds histogram");
  });

  it("leaves other paths to the next handler", async () => {
    const base = await serve([]);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
  });
});
