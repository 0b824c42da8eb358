/**
 * PRBOX_REDIS_URL's three shapes (docs/operations.md, "Redis that survives a machine"; ADR 23):
 *
 *   redis://[user:password@]host:port[/db]                 one Redis (rediss:// for TLS)
 *   redis+sentinel://[user:password@]h1:26379,h2:26379/master[/db][?sentinelPassword=…]
 *   redis+cluster://[user:password@]h1:6379,h2:6379        a Redis Cluster (its seed nodes)
 *
 * `rediss+sentinel://` and `rediss+cluster://` use TLS. Pure: parsing only, no connection.
 */

export interface RedisNode {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
  tls: boolean;
}

export type RedisTarget =
  | { mode: "standalone"; url: string }
  | (Credentials & {
      mode: "sentinel";
      sentinels: RedisNode[];
      /** The master group name Sentinel monitors. */
      name: string;
      db: number;
      sentinelUsername?: string;
      sentinelPassword?: string;
    })
  | (Credentials & { mode: "cluster"; nodes: RedisNode[] });

export type RedisMode = RedisTarget["mode"];

/** A PRBOX_REDIS_URL that cannot be used; the message says what is wrong and shows the shape. */
export class RedisUrlError extends Error {
  override name = "RedisUrlError";
}

const SHAPES =
  "expected redis://[user:password@]host:port[/db], redis+sentinel://[user:password@]host:26379[,host:26379…]/master[/db] or redis+cluster://[user:password@]host:port[,host:port…] (rediss… for TLS)";

const URL_PATTERN = /^(rediss?)(?:\+(sentinel|cluster))?:\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/;

export function parseRedisUrl(url: string): RedisTarget {
  const match = URL_PATTERN.exec(url.trim());
  if (!match) throw new RedisUrlError(`not a Redis URL; ${SHAPES}`);
  const [, scheme, mode, userinfo, hosts, path, query] = match;
  if (!mode) {
    checkStandalone(url);
    return { mode: "standalone", url };
  }
  const credentials = { ...parseUserinfo(userinfo), tls: scheme === "rediss" };
  if (mode === "cluster") {
    if (path && path !== "/")
      throw new RedisUrlError("redis+cluster:// takes no master name or database: a Redis Cluster has database 0 only");
    return { mode: "cluster", nodes: parseNodes(hosts ?? "", 6379), ...credentials };
  }
  const [name, db, ...rest] = (path ?? "").split("/").slice(1);
  if (!name || rest.length > 0)
    throw new RedisUrlError(
      "redis+sentinel:// needs the master group name Sentinel monitors after the hosts, e.g. redis+sentinel://h1:26379,h2:26379/mymaster[/db]",
    );
  const params = new URLSearchParams(query ?? "");
  return {
    mode: "sentinel",
    sentinels: parseNodes(hosts ?? "", 26379),
    name: decodeURIComponent(name),
    db: parseDb(db),
    ...credentials,
    ...optional("sentinelUsername", params.get("sentinelUsername")),
    ...optional("sentinelPassword", params.get("sentinelPassword")),
  };
}

function optional<K extends string>(key: K, value: string | null | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

function checkStandalone(url: string): void {
  try {
    new URL(url);
  } catch {
    throw new RedisUrlError(`not a Redis URL; ${SHAPES}`);
  }
}

function parseUserinfo(userinfo: string | undefined): { username?: string; password?: string } {
  if (!userinfo) return {};
  // As ioredis reads redis:// URLs: "user:password", ":password", or a user name alone.
  const colon = userinfo.indexOf(":");
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const password = colon < 0 ? "" : userinfo.slice(colon + 1);
  return {
    ...optional("username", user && decodeURIComponent(user)),
    ...optional("password", password && decodeURIComponent(password)),
  };
}

function parseDb(text: string | undefined): number {
  if (text === undefined || text === "") return 0;
  if (!/^\d+$/.test(text)) throw new RedisUrlError(`the database "${text}" is not a number (0, 1, …)`);
  return Number(text);
}

function parseNodes(list: string, defaultPort: number): RedisNode[] {
  if (list.trim() === "") throw new RedisUrlError(`no hosts; ${SHAPES}`);
  return list.split(",").map((entry) => parseNode(entry.trim(), defaultPort));
}

function parseNode(entry: string, defaultPort: number): RedisNode {
  // host, host:port, [v6], [v6]:port
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(entry);
  if (!match?.[1]) throw new RedisUrlError(`"${entry}" is not host[:port]`);
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (!(port >= 1 && port <= 65535)) throw new RedisUrlError(`"${entry}": the port is not between 1 and 65535`);
  return { host: match[1].replace(/^\[|\]$/g, ""), port };
}

/**
 * The URL with every password replaced by "***" (the user's and a `sentinelPassword`): safe for
 * logs and error messages. A value that is no Redis URL becomes a placeholder.
 */
export function redactRedisUrl(url: string): string {
  const match = URL_PATTERN.exec(url.trim());
  if (!match) return "(an invalid Redis URL)";
  const [, scheme, mode, userinfo, hosts, path, query] = match;
  if (!mode) {
    try {
      const parsed = new URL(url);
      if (parsed.password) parsed.password = "***";
      return parsed.toString().replace(/\/$/, "");
    } catch {
      return "(an invalid Redis URL)";
    }
  }
  const colon = userinfo?.indexOf(":") ?? -1;
  const who = userinfo === undefined ? "" : colon < 0 ? `${userinfo}@` : `${userinfo.slice(0, colon)}:***@`;
  const params = query ? `?${query.slice(1).replace(/(sentinelPassword=)[^&]*/gi, "$1***")}` : "";
  return `${scheme ?? "redis"}+${mode}://${who}${hosts ?? ""}${path ?? ""}${params}`;
}
