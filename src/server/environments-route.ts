import type { IncomingMessage, ServerResponse } from "node:http";
import { silentLogger, type Logger } from "../log.js";
import { tokenChecker } from "../secrets.js";
import { gatherEnvironments, type PageSources } from "./environments-page.js";
import { contentSecurityPolicy, renderEnvironmentsPage } from "./page-html.js";
import type { RouteHandler } from "./routes.js";

export interface EnvironmentsRouteOptions {
  /** PRBOX_PAGE_TOKEN; null: the page is off and answers 404. */
  token: string | null;
  sources: PageSources;
  log?: Logger;
}

const PATHS = new Set(["/environments", "/environments.json"]);

/**
 * GET /environments (HTML for people, phones included) and /environments.json (the same data),
 * behind the page token: `Authorization: Bearer <token>`, or basic auth with the token as the
 * password (any user name), so a browser's login prompt works. Returns false for other paths.
 */
export function environmentsRoute(options: EnvironmentsRouteOptions): RouteHandler {
  const log = options.log ?? silentLogger;
  const authorized = options.token === null ? null : tokenChecker(options.token);
  const csp = contentSecurityPolicy();
  if (authorized) log.info({ paths: [...PATHS] }, "environments page on (PRBOX_PAGE_TOKEN is set)");
  else log.info({}, "environments page off: set PRBOX_PAGE_TOKEN to serve /environments");

  return async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method !== "GET" || !PATHS.has(path)) return false;
    const headers = { "cache-control": "no-store", "content-security-policy": csp, ...SAFETY_HEADERS };
    if (!authorized)
      return send(res, 404, headers, "not found: the environments page is off (set PRBOX_PAGE_TOKEN to turn it on)\n");
    if (!authorized(presentedToken(req))) {
      return send(res, 401, { ...headers, "www-authenticate": 'Basic realm="prbox", charset="UTF-8"' }, UNAUTHORIZED);
    }
    try {
      const view = await gatherEnvironments(options.sources);
      if (path.endsWith(".json"))
        return send(
          res,
          200,
          { ...headers, "content-type": "application/json; charset=utf-8" },
          `${JSON.stringify(view, null, 2)}\n`,
        );
      return send(res, 200, { ...headers, "content-type": "text/html; charset=utf-8" }, renderEnvironmentsPage(view));
    } catch (error) {
      log.error({ err: error }, "the environments page failed");
      return send(res, 500, headers, "internal error: the environments page failed; see prbox's log\n");
    }
  };
}

const SAFETY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  // Links to previews and PRs must not carry this page's address.
  "referrer-policy": "no-referrer",
};

const UNAUTHORIZED =
  "unauthorized: send Authorization: Bearer <PRBOX_PAGE_TOKEN>, or log in with the token as the password\n";

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): true {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
  res.end(body);
  return true;
}

/** The token a request presents: a bearer token, or the password of basic auth. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const match = /^(\S+)\s+(.+)$/.exec(req.headers.authorization?.trim() ?? "");
  if (!match) return undefined;
  const [, scheme = "", value = ""] = match;
  if (scheme.toLowerCase() === "bearer") return value.trim();
  if (scheme.toLowerCase() !== "basic") return undefined;
  const decoded = Buffer.from(value.trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}
