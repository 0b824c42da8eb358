import type { ServerResponse } from "node:http";
import type { RouteHandler } from "../http.js";
import type { Metrics } from "./metrics.js";

export type { RouteHandler };

/** A dependency /readyz checks: a name and a probe that throws when it is not usable. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

/**
 * /healthz (the process answers), /readyz (Redis and the cluster answer: 503 with the failing
 * ones otherwise) and /metrics (Prometheus text format). Returns false for other paths.
 */
export function operationalRoutes(options: {
  checks: ReadinessCheck[];
  metrics: Metrics;
  timeoutMs?: number;
}): RouteHandler {
  return async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") return false;
    if (path === "/healthz") {
      send(res, 200, "ok\n");
      return true;
    }
    if (path === "/readyz") {
      const failures = await failingChecks(options.checks, options.timeoutMs ?? 2000);
      send(res, failures.length ? 503 : 200, failures.length ? `${failures.join("\n")}\n` : "ok\n");
      return true;
    }
    if (path === "/metrics") {
      send(res, 200, await options.metrics.registry.metrics(), options.metrics.registry.contentType);
      return true;
    }
    return false;
  };
}

async function failingChecks(checks: ReadinessCheck[], timeoutMs: number): Promise<string[]> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs).unref(),
          ),
        ]);
        return null;
      } catch (error) {
        return `${name}: ${(error as Error).message}`;
      }
    }),
  );
  return results.filter((r): r is string => r !== null);
}
