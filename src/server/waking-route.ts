import type { IncomingMessage, ServerResponse } from "node:http";
import type { RouteHandler } from "../http.js";
import type { Logger } from "../log.js";

/** The header on the waking page: the page's own check tells it from the preview's answer. */
export const WAKING_HEADER = "x-prbox-waking";

export interface WakingRouteOptions {
  /** Host → environment id of every sleeping environment (cluster/sleep.ts sleepingHosts). */
  sleepingHosts(): Promise<Map<string, string>>;
  /** Wakes a sleeping environment (core/sleep.ts wakeOnVisit); true when this call queued the wake. */
  wake(envId: string): Promise<boolean>;
  log: Logger;
  /** How long the list of sleeping hosts is reused (ms): one cluster list per that, whatever comes. */
  cacheMs?: number;
}

/**
 * The waking page (ADR 28). A sleeping environment's Ingresses send every request to prbox with
 * the preview's own Host header: this route answers those, and only those, with a page that
 * says "waking up" and reloads itself once the preview answers, after asking for the wake. It
 * says nothing about the environment (not even the host), reads no body and does nothing else; a
 * host that is no sleeping preview's is left to the other routes. Many visits make one wake: the
 * desired state changes once and the queue runs one job per environment.
 */
export function wakingRoute(options: WakingRouteOptions): RouteHandler {
  // A failed list counts as "none sleeps" for as long as a good one is reused: one warning, not one a request.
  const load = () =>
    options.sleepingHosts().catch((error: unknown) => {
      options.log.warn({ err: error }, "waking page: could not list the sleeping environments");
      return new Map<string, string>();
    });
  const hosts = cached(load, options.cacheMs ?? 2000);
  return async (req, res) => {
    const host = hostOf(req);
    const envId = host ? (await hosts()).get(host) : undefined;
    if (!envId) return false;
    try {
      await options.wake(envId);
    } catch (error) {
      // The page still answers: it asks again on its next reload.
      options.log.warn({ err: error, envId }, "waking page: could not queue the wake");
    }
    page(req, res);
    return true;
  };
}

/** The Host header without its port, lower case; null when absent or not a host name. */
function hostOf(req: IncomingMessage): string | null {
  const host = (req.headers.host ?? "").toLowerCase().replace(/:\d+$/, "");
  return /^[a-z0-9.-]+$/.test(host) ? host : null;
}

function cached<T>(load: () => Promise<T>, ms: number): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | null = null;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= ms) last = { at: now, value: load() };
    return last.value;
  };
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Waking up…</title>
<noscript><meta http-equiv="refresh" content="15"></noscript>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#333}</style>
</head>
<body>
<h1>💤 Waking up</h1>
<p>This preview was asleep because nobody used it for a while. It is starting again, which takes about as long as a deploy; this page reloads by itself once the preview answers.</p>
<script>
setInterval(function () {
  fetch(location.href, { cache: "no-store" }).then(function (r) {
    if (!r.headers.has("${WAKING_HEADER}") && r.status < 500) location.reload();
  }, function () {});
}, 3000);
</script>
</body>
</html>
`;

function page(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(503, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "retry-after": "5",
    [WAKING_HEADER]: "1",
  });
  res.end(req.method === "HEAD" ? undefined : PAGE);
}
