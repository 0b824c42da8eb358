// The "ready" comment a reviewer reads: every address, what each box brought, every object and
// where the time went; within GitHub's and GitLab's comment size limits however big the
// environment. Pure: built from a render and a deploy result.
import { describe, expect, it } from "vitest";
import { probeTargets, readySummary } from "../../../src/core/ready-summary.js";
import { commentBody, commitStatus } from "../../../src/core/report.js";
import type { KubeObject, RenderedEnvironment, RenderedObject } from "../../../src/model.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const GITHUB_MAX = 65_536;
const GITLAB_MAX = 1_000_000;

function object(
  box: string,
  kind: string,
  name: string,
  extra: Partial<KubeObject> = {},
  chart?: string,
): RenderedObject {
  return {
    object: {
      apiVersion: kind === "Ingress" ? "networking.k8s.io/v1" : "v1",
      kind,
      metadata: { name, ...(chart ? { labels: { "helm.sh/chart": chart } } : {}) },
      ...extra,
    },
    box,
    source: `${box}/templates/${name}.yaml`,
    phase: "main",
    deletePolicies: [],
  };
}

function ingress(name: string, host: string, paths: [string, string, number][], tls: boolean): Partial<KubeObject> {
  return {
    spec: {
      ...(tls ? { tls: [{ hosts: [host], secretName: `${name}-tls` }] } : {}),
      rules: [
        {
          host,
          http: {
            paths: paths.map(([path, service, port]) => ({
              path,
              pathType: "Prefix",
              backend: { service: { name: service, port: { number: port } } },
            })),
          },
        },
      ],
    },
  };
}

function environment(objects: RenderedObject[], boxes: string[]): RenderedEnvironment {
  return {
    environment: {
      id: "github-acme-shop-7",
      name: "shop",
      namespace: "acme-shop-pr-7",
      extraNamespaces: [],
      url: "https://pr-7.preview.example.com",
      mode: "pr",
      pr: { forge: "github", repo: "acme/shop", pr: 7, branch: "feature", sha: SHA },
    },
    boxes,
    objects,
    warnings: [],
  };
}

/** A Deployment's spec: `replicas` pods of one container requesting `requests`. */
function deployment(replicas: number, requests: Record<string, string>): Partial<KubeObject> {
  const resources = Object.keys(requests).length > 0 ? { resources: { requests } } : {};
  return { spec: { replicas, template: { spec: { containers: [{ name: "app", image: "app:1", ...resources }] } } } };
}

/** The api box's Ingress: one host, two paths to two Services, no TLS. */
function apiIngress(chart?: string): RenderedObject {
  const paths: [string, string, number][] = [
    ["/v1", "api", 8080],
    ["/docs", "api-docs", 8081],
  ];
  return object("api", "Ingress", "api", ingress("api", "api-pr-7.preview.example.com", paths, false), chart);
}

const PHASES = { fetch: 48, render: 212, apply: 305, wait: 1420 };

describe("the ready comment", () => {
  it("lists every address with its service, each box with its chart and objects, and every object, collapsed", () => {
    const rendered = environment(
      [
        object("web", "Deployment", "web", deployment(2, { cpu: "250m", memory: "256Mi" }), "web-1.4.2"),
        object("web", "Service", "web", {}, "web-1.4.2"),
        object(
          "web",
          "Ingress",
          "web",
          ingress("web", "pr-7.preview.example.com", [["/", "web", 80]], true),
          "web-1.4.2",
        ),
        object("api", "Deployment", "api", deployment(1, {}), "api-0.9.0"),
        object("api", "Service", "api", {}, "api-0.9.0"),
        apiIngress("api-0.9.0"),
        object("config", "ConfigMap", "settings"),
      ],
      ["web", "api", "config"],
    );
    const summary = readySummary(
      rendered,
      { unchanged: [{ kind: "ConfigMap", name: "settings" }], pruned: [{ kind: "ConfigMap", name: "old" }] },
      PHASES,
      { defaultRequest: { cpu: "100m", memory: "128Mi" }, prices: { cpuHour: 0.04, gibHour: 0.005, currency: "$" } },
    );
    const report = {
      state: "ready" as const,
      sha: SHA,
      url: rendered.environment.url,
      namespace: "acme-shop-pr-7",
      seconds: 2.31,
      summary,
    };
    expect(commentBody(report)).toMatchInlineSnapshot(`
      "**prbox preview**: ✅ ready at https://pr-7.preview.example.com

      | commit | namespace | deploy time |
      |---|---|---|
      | \`0123456\` | \`acme-shop-pr-7\` | 2.3 s (fetch 0.0 s · render 0.2 s · apply 0.3 s · wait 1.4 s) |

      **Resources**: 0.6 CPU and 0.63 GiB requested by 3 pods (1 container without requests counted at the namespace's default), about $0.65 a day (at $0.04 per CPU-hour and $0.005 per GiB-hour).

      | address | service |
      |---|---|
      | https://pr-7.preview.example.com/ | \` web:80 \` |
      | http://api-pr-7.preview.example.com/v1 | \` api:8080 \` |
      | http://api-pr-7.preview.example.com/docs | \` api-docs:8081 \` |

      | box | chart | objects |
      |---|---|---|
      | \` web \` | \` web-1.4.2 \` | 3 |
      | \` api \` | \` api-0.9.0 \` | 3 |
      | \` config \` | manifests | 1 |

      <details><summary>7 objects, all ready (6 applied, 1 unchanged, 1 pruned)</summary>

      | object | box | |
      |---|---|---|
      | \` Deployment/web \` | \` web \` | applied |
      | \` Service/web \` | \` web \` | applied |
      | \` Ingress/web \` | \` web \` | applied |
      | \` Deployment/api \` | \` api \` | applied |
      | \` Service/api \` | \` api \` | applied |
      | \` Ingress/api \` | \` api \` | applied |
      | \` ConfigMap/settings \` | \` config \` | unchanged |

      </details>

      Comment \`/reload\` to rebuild it from scratch, \`/destroy\` to delete it."
    `);
    expect(commitStatus(report)).toEqual({
      state: "success",
      description: "Preview ready in 2 s",
      url: "https://pr-7.preview.example.com",
    });
  });

  it("stays within GitHub's and GitLab's comment limits for 500 objects with long names, and says how many it left out", () => {
    const long = (i: number) => `${"a-very-long-generated-name-".repeat(8)}${String(i)}`;
    const objects = Array.from({ length: 500 }, (_, i) => object(`box-${String(i % 3)}`, "ConfigMap", long(i)));
    const rendered = environment(objects, ["box-0", "box-1", "box-2"]);
    const body = commentBody({
      state: "ready",
      sha: SHA,
      url: null,
      namespace: "acme-shop-pr-7",
      seconds: 12,
      summary: readySummary(rendered, { unchanged: [], pruned: [] }, PHASES),
    });
    expect(body.length).toBeLessThanOrEqual(GITHUB_MAX);
    expect(body.length).toBeLessThanOrEqual(GITLAB_MAX);
    const listed = body.split("\n").filter((line) => line.startsWith("| ` ConfigMap/")).length;
    expect(listed).toBeGreaterThan(100);
    expect(listed).toBeLessThan(500);
    expect(body).toContain(
      `… and ${String(500 - listed)} more, left out to keep this comment within the forge's size limit.`,
    );
    expect(body).toContain("</details>");
  });

  it("names the repository and commit of each box taken from another repository", () => {
    const rendered = {
      ...environment(
        [object("web", "Deployment", "web", {}, "web-1.0.0"), object("api", "Deployment", "api", {}, "api-2.1.0")],
        ["web", "api"],
      ),
      sources: [{ box: "api", repository: "acme/api", ref: null, commit: "fedcba9876543210fedcba9876543210fedcba98" }],
    };
    const body = commentBody({
      state: "ready",
      sha: SHA,
      url: null,
      namespace: "ns",
      seconds: 1,
      summary: readySummary(rendered, { unchanged: [], pruned: [] }, PHASES),
    });
    expect(body).toContain(
      [
        "| box | chart | objects | from |",
        "|---|---|---|---|",
        "| ` web ` | ` web-1.0.0 ` | 1 | this pull request |",
        "| ` api ` | ` api-2.1.0 ` | 1 | ` acme/api ` at `fedcba9` |",
      ].join("\n"),
    );
  });

  it("keeps markdown in names inert: a box name cannot break the table or mention anyone", () => {
    const rendered = environment([object("x|@team", "ConfigMap", "c")], ["x|@team"]);
    const body = commentBody({
      state: "ready",
      sha: SHA,
      url: null,
      namespace: "ns",
      seconds: 1,
      summary: readySummary(rendered, { unchanged: [], pruned: [] }, PHASES),
    });
    expect(body).toContain("| ` x\\|@team ` | manifests | 1 |");
  });
});

describe("the probe's addresses", () => {
  const rendered = (probe?: boolean | string) => {
    const env = environment(
      [
        object("web", "Ingress", "web", ingress("web", "pr-7.preview.example.com", [["/", "web", 80]], true)),
        apiIngress(),
      ],
      ["web", "api"],
    );
    return probe === undefined ? env : { ...env, environment: { ...env.environment, probe } };
  };

  it("are every Ingress rule's address, or the spec's path on each host", () => {
    expect(probeTargets(rendered())).toEqual([
      "https://pr-7.preview.example.com/",
      "http://api-pr-7.preview.example.com/v1",
      "http://api-pr-7.preview.example.com/docs",
    ]);
    expect(probeTargets(rendered("/healthz"))).toEqual([
      "https://pr-7.preview.example.com/healthz",
      "http://api-pr-7.preview.example.com/healthz",
    ]);
  });

  it("stay on the Ingresses' own hosts whatever the spec's path says, and skip wildcard and hostless rules", () => {
    const hostile = environment(
      [
        object("web", "Ingress", "web", ingress("web", "pr-7.preview.example.com", [["/", "web", 80]], false)),
        object("wild", "Ingress", "wild", ingress("wild", "*.pr-7.preview.example.com", [["/", "web", 80]], false)),
        object("any", "Ingress", "any", { spec: { rules: [{ http: { paths: [{ path: "/", backend: {} }] } }] } }),
      ],
      ["web", "wild", "any"],
    );
    for (const probe of ["//169.254.169.254/latest/meta-data", "/\\evil.example/", "/@evil.example/"]) {
      const targets = probeTargets({ ...hostile, environment: { ...hostile.environment, probe } });
      expect(targets).toEqual([`http://pr-7.preview.example.com${probe}`]);
      expect(targets.map((url) => new URL(url).host)).toEqual(["pr-7.preview.example.com"]);
    }
    expect(probeTargets(hostile)).toEqual(["http://pr-7.preview.example.com/"]);
    const body = commentBody({
      state: "ready",
      sha: SHA,
      url: null,
      namespace: "ns",
      seconds: 1,
      summary: readySummary(hostile, { unchanged: [], pruned: [] }, PHASES),
    });
    expect(body).toContain("| (any host) ` / ` | ` - ` |");
  });
});
