import type { TestResult } from "../cluster/index.js";
import type { Prices } from "../config/schema-types.js";
import type { KubeObject, RenderedEnvironment } from "../model.js";
import { requestsOf, type Requests } from "./cost.js";

/**
 * What a reviewer reads under "ready" (docs/architecture.md §1, step 6): every address the
 * environment serves, what each box brought, every object, and where the time went. Pure: built
 * from the render and the deploy's result.
 */
export interface ReadySummary {
  /** Each Ingress rule's address (null: a rule without a host) and path, and the Service (and port) behind it. */
  addresses: Address[];
  /** `from`: the other repository and commit a box's sources came from (its `repository`); null for the PR's own. */
  boxes: {
    name: string;
    charts: string[];
    objects: number;
    from: { repository: string; commit: string | null } | null;
  }[];
  objects: { ref: string; box: string; change: "applied" | "unchanged" }[];
  pruned: number;
  /** The chart's tests of the boxes with `tests = true` (src/cluster/tests.ts), in the order they ran. */
  tests: ChartTest[];
  /** Milliseconds per phase of the deploy; `test` only when tests ran. */
  phases: { fetch: number; render: number; apply: number; wait: number; test?: number };
  /** What the running workloads request, and the operator's prices for an estimate (cost.ts). */
  requests: Requests;
  prices: Prices | null;
}

export interface ChartTest {
  ref: string;
  box: string;
  passed: boolean;
  detail: string;
  logs: { container: string; text: string }[];
}

export interface SummaryOptions {
  /** The namespace's LimitRange defaultRequest: what a container without requests gets. */
  defaultRequest?: Record<string, string>;
  prices?: Prices | null;
}

export interface Address {
  /** scheme://host/path; null for a rule without a host, which no one address reaches. */
  url: string | null;
  path: string;
  service: string;
}

interface ObjectName {
  kind: string;
  name: string;
}

interface IngressPath {
  path?: unknown;
  backend?: { service?: { name?: unknown; port?: { number?: unknown; name?: unknown } } };
}

interface IngressSpec {
  tls?: { hosts?: unknown[] }[];
  rules?: { host?: unknown; http?: { paths?: IngressPath[] } }[];
}

export function readySummary(
  rendered: RenderedEnvironment,
  result: { unchanged: readonly ObjectName[]; pruned: readonly unknown[]; tests?: readonly TestResult[] },
  phases: ReadySummary["phases"],
  options: SummaryOptions = {},
): ReadySummary {
  const unchanged = new Set(result.unchanged.map((o) => `${o.kind}/${o.name}`));
  const main = rendered.objects.filter((o) => o.phase === "main");
  return {
    addresses: main.flatMap(({ object }) => (object.kind === "Ingress" ? addressesOf(object) : [])),
    boxes: rendered.boxes.map((name) => {
      const own = main.filter((o) => o.box === name);
      const charts = own.map((o) => o.object.metadata.labels?.["helm.sh/chart"]).filter((c) => c !== undefined);
      const source = rendered.sources?.find((s) => s.box === name);
      const from = source ? { repository: source.repository, commit: source.commit } : null;
      return { name, charts: [...new Set(charts)].sort(), objects: own.length, from };
    }),
    objects: main.map(({ object, box }) => {
      const ref = `${object.kind}/${object.metadata.name}`;
      return { ref, box, change: unchanged.has(ref) ? "unchanged" : "applied" };
    }),
    pruned: result.pruned.length,
    tests: (result.tests ?? []).map((t) => ({
      ref: `${t.ref.kind}/${t.ref.name}`,
      box: t.box,
      passed: t.passed,
      detail: t.detail,
      logs: t.logs,
    })),
    phases,
    requests: requestsOf(rendered.objects, options.defaultRequest),
    prices: options.prices ?? null,
  };
}

function addressesOf(ingress: KubeObject): Address[] {
  const spec = (ingress.spec ?? {}) as IngressSpec;
  const secure = new Set((spec.tls ?? []).flatMap((t) => t.hosts ?? []).map(String));
  return (spec.rules ?? []).flatMap((rule) => {
    const host = typeof rule.host === "string" ? rule.host : "";
    const scheme = secure.has(host) ? "https" : "http";
    return (rule.http?.paths ?? []).map((p) => {
      const path = typeof p.path === "string" ? p.path : "/";
      const service = p.backend?.service;
      const port = service?.port?.number ?? service?.port?.name;
      return {
        url: host ? `${scheme}://${host}${path}` : null,
        path,
        service:
          typeof service?.name === "string" ? `${service.name}${port === undefined ? "" : `:${String(port)}`}` : "-",
      };
    });
  });
}

/**
 * The URLs the probe asks (PRBOX_PROBE, src/probe.ts): every address the Ingresses serve, or with
 * `probe = "/path"` that path on each of their hosts. Only the Ingresses' own hosts are asked:
 * rules without a host and wildcard hosts (`*.example.com`) are left out, and the spec's path is
 * appended to the host's origin, never resolved against it (`//other.host` stays a path).
 */
export function probeTargets(rendered: RenderedEnvironment): string[] {
  const { probe } = rendered.environment;
  const urls = rendered.objects
    .filter(({ object, phase }) => phase === "main" && object.kind === "Ingress")
    .flatMap(({ object }) => addressesOf(object))
    .flatMap((a) => (a.url === null || a.url.includes("://*") ? [] : [a.url]))
    .map((url) => (typeof probe === "string" ? `${new URL(url).origin}${probe}` : url));
  return [...new Set(urls)];
}
