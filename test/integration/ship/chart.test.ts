import { describe, expect, inject, it } from "vitest";
import { envSchema, loadConfig } from "../../../src/config/config.js";
import { cli } from "../../support/cli.js";
import { chartDir, helmWith, ofKind, renderChart, type Manifest } from "./chart.js";

const helm = inject("helm");

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
}
interface PodSpec {
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  serviceAccountName?: string;
}
interface NetworkPolicySpec {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress: {
    from?: { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown }[];
    ports?: { port: string }[];
  }[];
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

const githubOnly = { redis: { existingSecret: "prbox-redis", internal: { enabled: false } } };
const gitlabOnly = { github: { enabled: false }, gitlab: { enabled: true, url: "https://gitlab.example.com" } };
const inChartRedis = { redis: { internal: { enabled: true } } };
const exposed = {
  ingress: { enabled: true, host: "prbox.example.com", tls: { secretName: "prbox-tls" } },
  serviceMonitor: { enabled: true },
  gitlab: { enabled: true },
};
const adopted = { rbac: { adoptedNamespaces: ["legacy-previews"] } };
const VALUE_SETS: Record<string, object> = {
  defaults: {},
  "GitHub only": githubOnly,
  "GitLab only": gitlabOnly,
  "in-chart Redis": inChartRedis,
  "ingress and ServiceMonitor": exposed,
  "adopted namespaces": adopted,
};

// helm is a process per render: render each value set once for the tests that only read it.
const renders = new Map<object, Promise<Manifest[]>>();
function rendered(values: object): Promise<Manifest[]> {
  if (!renders.has(values)) renders.set(values, renderChart(helm, values));
  return renders.get(values) as Promise<Manifest[]>;
}

function podSpec(workload: Manifest): PodSpec {
  return (workload.spec as { template: { spec: PodSpec } }).template.spec;
}

function workloads(manifests: readonly Manifest[]): Manifest[] {
  return manifests.filter((m) => ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"].includes(m.kind));
}

function deploymentOf(manifests: readonly Manifest[], component: string): Manifest {
  const found = ofKind(manifests, "Deployment").find(
    (d) => d.metadata.labels?.["app.kubernetes.io/component"] === component,
  );
  if (!found) throw new Error(`no ${component} Deployment rendered`);
  return found;
}

function envOf(container: Container): Map<string, NonNullable<Container["env"]>[number]> {
  return new Map((container.env ?? []).map((e) => [e.name, e]));
}

/** A Secret's value, decoded; "" when it has no such key. */
function secretValue(secret: Manifest | undefined, key: string): string {
  const data = (secret?.data ?? {}) as Record<string, string>;
  return Buffer.from(data[key] ?? "", "base64").toString("utf8");
}

function first(workload: Manifest): Container {
  const container = podSpec(workload).containers[0];
  if (!container) throw new Error(`${workload.metadata.name} has no container`);
  return container;
}

describe("the prbox chart", () => {
  it("passes helm lint", async () => {
    const outcome = await helmWith(helm, ["lint", "--strict"], {});
    expect(outcome.error, outcome.stdout).toBe("");
    expect(outcome.stdout).toContain("0 chart(s) failed");
  });

  for (const [name, values] of Object.entries(VALUE_SETS)) {
    describe(`rendered with ${name}`, () => {
      it("runs every container non-root, read-only, without capabilities, under RuntimeDefault seccomp", async () => {
        const manifests = await rendered(values);
        expect(workloads(manifests).length).toBeGreaterThanOrEqual(2);
        for (const workload of workloads(manifests)) {
          const spec = podSpec(workload);
          expect(spec.securityContext, workload.metadata.name).toMatchObject({
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
          });
          expect(spec.securityContext?.runAsUser, workload.metadata.name).not.toBe(0);
          for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
            expect(container.securityContext, `${workload.metadata.name}/${container.name}`).toMatchObject({
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              capabilities: { drop: ["ALL"] },
              seccompProfile: { type: "RuntimeDefault" },
            });
          }
        }
      });

      it("grants nothing cluster-wide but namespaces and the bootstrap of its environment role", async () => {
        const manifests = await rendered(values);
        const roles = new Map(
          ofKind(manifests, "ClusterRole").map((r) => [r.metadata.name, (r as unknown as { rules: Rule[] }).rules]),
        );
        const environmentRole = "rel-prbox-environment";
        expect(roles.has(environmentRole)).toBe(true);
        const bound = ofKind(manifests, "ClusterRoleBinding").map(
          (b) => (b as unknown as { roleRef: { kind: string; name: string } }).roleRef,
        );
        expect(bound.length).toBeGreaterThan(0);
        for (const ref of bound) {
          expect(ref.kind).toBe("ClusterRole");
          expect(ref.name, "the environment role must never be bound cluster-wide").not.toBe(environmentRole);
          for (const rule of roles.get(ref.name) ?? [])
            expect(isBootstrapRule(rule, environmentRole), JSON.stringify(rule)).toBe(true);
        }
        // The environment role holds named kinds only; the chart binds it only in the adopted namespaces.
        for (const rule of roles.get(environmentRole) ?? []) {
          expect([...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs]).not.toContain("*");
        }
        const bindings = ofKind(manifests, "RoleBinding").map((b) => b.metadata.namespace);
        expect(bindings).toEqual((values as typeof adopted).rbac?.adoptedNamespaces ?? []);
      });

      it("probes both processes on the port they serve and runs them with CLI verbs prbox has", async () => {
        const manifests = await rendered(values);
        const verbs = (await cli(["--help"], { cwd: chartDir })).stdout;
        for (const component of ["server", "worker"]) {
          const container = first(deploymentOf(manifests, component));
          expect(container.args).toEqual([component]);
          expect(verbs).toMatch(new RegExp(`^ {2}${component}\\b`, "m"));
          const port = container.ports?.find((p) => p.name === "http");
          expect(String(port?.containerPort)).toBe(envOf(container).get("PORT")?.value);
          expect(envOf(container).get("HOST")?.value).toBe("0.0.0.0");
          expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
          expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
        }
      });

      it("sets only environment variables prbox reads, secrets only from Secret references", async () => {
        const manifests = await rendered(values);
        const known = new Set(Object.keys(envSchema.shape));
        for (const component of ["server", "worker"]) {
          const env = envOf(first(deploymentOf(manifests, component)));
          for (const name of env.keys())
            expect(known.has(name) || name.startsWith("PRBOX_VAR_"), `${name} is not a prbox setting`).toBe(true);
          for (const secret of ["PRIVATE_KEY", "WEBHOOK_SECRET", "GITLAB_TOKEN", "GITLAB_WEBHOOK_SECRET"]) {
            if (env.has(secret)) expect(env.get(secret)?.valueFrom?.secretKeyRef, secret).toBeDefined();
          }
          expect(env.get("PRBOX_ENVIRONMENT_CLUSTER_ROLE")?.value).toBe("rel-prbox-environment");
          expect(env.get("NODE_ENV")?.value).toBe("production");
        }
      });

      it("keeps a disruption budget for the server and the workers", async () => {
        const manifests = await rendered(values);
        const budgets = ofKind(manifests, "PodDisruptionBudget").map(
          (p) =>
            (p.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels[
              "app.kubernetes.io/component"
            ],
        );
        expect(budgets.sort()).toEqual(["server", "worker"]);
      });
    });
  }

  it("GitHub only: the App's three settings come from the named Secret, Redis's URL from its Secret", async () => {
    const env = envOf(first(deploymentOf(await rendered(githubOnly), "server")));
    expect(env.get("APP_ID")?.valueFrom?.secretKeyRef).toEqual({ name: "prbox-github", key: "APP_ID" });
    expect(env.get("PRIVATE_KEY")?.valueFrom?.secretKeyRef).toEqual({ name: "prbox-github", key: "PRIVATE_KEY" });
    expect(env.get("WEBHOOK_SECRET")?.valueFrom?.secretKeyRef).toEqual({ name: "prbox-github", key: "WEBHOOK_SECRET" });
    expect(env.get("PRBOX_REDIS_URL")?.valueFrom?.secretKeyRef).toEqual({
      name: "prbox-redis",
      key: "PRBOX_REDIS_URL",
    });
    expect(env.has("GITLAB_TOKEN")).toBe(false);
  });

  it("GitLab only: token and webhook secret from the GitLab Secret, nothing of GitHub", async () => {
    const env = envOf(first(deploymentOf(await rendered(gitlabOnly), "worker")));
    expect(env.get("GITLAB_TOKEN")?.valueFrom?.secretKeyRef).toEqual({ name: "prbox-gitlab", key: "GITLAB_TOKEN" });
    expect(env.get("GITLAB_WEBHOOK_SECRET")?.valueFrom?.secretKeyRef).toEqual({
      name: "prbox-gitlab",
      key: "GITLAB_WEBHOOK_SECRET",
    });
    expect(env.get("GITLAB_URL")?.value).toBe("https://gitlab.example.com");
    expect(env.has("APP_ID")).toBe(false);
    expect(env.has("WEBHOOK_SECRET")).toBe(false);
  });

  it("in-chart Redis: a StatefulSet with the append-only file on a volume, a generated password, and prbox pointed at its Service with it", async () => {
    const manifests = await rendered(inChartRedis);
    const [redis] = ofKind(manifests, "StatefulSet");
    const container = first(redis as Manifest);
    expect(container.args?.join(" ")).toContain("--appendonly yes");
    expect((redis?.spec as { volumeClaimTemplates: unknown[] }).volumeClaimTemplates).toHaveLength(1);
    const service = ofKind(manifests, "Service").find(
      (s) => s.metadata.labels?.["app.kubernetes.io/component"] === "redis",
    );
    const [secret] = ofKind(manifests, "Secret");
    const password = secretValue(secret, "redis-password");
    expect(password).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(secretValue(secret, "PRBOX_REDIS_URL")).toBe(`redis://:${password}@${service?.metadata.name}:6379`);
    for (const component of ["server", "worker"]) {
      const url = envOf(first(deploymentOf(manifests, component))).get("PRBOX_REDIS_URL");
      expect(url?.value, "the URL with the password is never written into the Deployment").toBeUndefined();
      expect(url?.valueFrom?.secretKeyRef).toEqual({ name: secret?.metadata.name, key: "PRBOX_REDIS_URL" });
    }
    // Redis refuses clients without it; its probes (redis-cli) use it too.
    expect(container.args?.slice(-2)).toEqual(["--requirepass", "$(REDIS_PASSWORD)"]);
    const env = envOf(container);
    for (const name of ["REDIS_PASSWORD", "REDISCLI_AUTH"])
      expect(env.get(name)?.valueFrom?.secretKeyRef).toEqual({ name: secret?.metadata.name, key: "redis-password" });
  });

  it("in-chart Redis with a password Secret of your own: no Secret generated, prbox's URL and Redis's password from yours", async () => {
    const manifests = await renderChart(helm, {
      redis: { internal: { auth: { existingSecret: "my-redis", passwordKey: "pw" } } },
    });
    expect(ofKind(manifests, "Secret")).toEqual([]);
    expect(envOf(first(deploymentOf(manifests, "server"))).get("PRBOX_REDIS_URL")?.valueFrom?.secretKeyRef).toEqual({
      name: "my-redis",
      key: "PRBOX_REDIS_URL",
    });
    expect(
      envOf(first(ofKind(manifests, "StatefulSet")[0] as Manifest)).get("REDIS_PASSWORD")?.valueFrom?.secretKeyRef,
    ).toEqual({ name: "my-redis", key: "pw" });
  });

  it("lets only prbox's server and workers reach the in-chart Redis, and opens the server and workers on their HTTP port only", async () => {
    const manifests = await rendered(inChartRedis);
    const policies = new Map(
      ofKind(manifests, "NetworkPolicy").map((p) => [
        p.metadata.labels?.["app.kubernetes.io/component"],
        p.spec as NetworkPolicySpec,
      ]),
    );
    expect([...policies.keys()].sort()).toEqual(["redis", "server", "worker"]);
    const redis = policies.get("redis");
    expect(redis?.podSelector.matchLabels["app.kubernetes.io/component"]).toBe("redis");
    expect(redis?.policyTypes).toEqual(["Ingress"]);
    const allowed = redis?.ingress.flatMap((rule) =>
      (rule.from ?? []).map((peer) => peer.podSelector?.matchLabels ?? {}),
    );
    expect(allowed).toEqual([
      {
        "app.kubernetes.io/name": "prbox",
        "app.kubernetes.io/instance": "rel",
        "app.kubernetes.io/component": "server",
      },
      {
        "app.kubernetes.io/name": "prbox",
        "app.kubernetes.io/instance": "rel",
        "app.kubernetes.io/component": "worker",
      },
    ]);
    expect(
      redis?.ingress.every(
        (rule) => rule.from !== undefined && rule.from.every((peer) => peer.namespaceSelector === undefined),
      ),
    ).toBe(true);
    for (const component of ["server", "worker"])
      expect(policies.get(component)?.ingress).toEqual([{ ports: [{ port: "http" }] }]);

    const narrowed = await renderChart(helm, {
      networkPolicy: {
        serverFrom: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
      },
    });
    const server = ofKind(narrowed, "NetworkPolicy").find((p) => p.metadata.name === "rel-prbox-server")
      ?.spec as NetworkPolicySpec;
    expect(server.ingress[0]?.from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
    ]);
  });

  it("ingress exposes only the webhook paths; the ServiceMonitor finds the server's and the workers' /metrics", async () => {
    const manifests = await rendered(exposed);
    const [ingress] = ofKind(manifests, "Ingress");
    const rules = (ingress?.spec as { rules: { host: string; http: { paths: { path: string }[] } }[] }).rules;
    expect(rules.map((r) => r.host)).toEqual(["prbox.example.com"]);
    expect(rules.flatMap((r) => r.http.paths.map((p) => p.path))).toEqual([
      "/api/github/webhooks",
      "/api/gitlab/webhooks",
    ]);
    const [monitor] = ofKind(manifests, "ServiceMonitor");
    const selector = (monitor?.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    const matched = ofKind(manifests, "Service").filter((s) =>
      Object.entries(selector).every(([k, v]) => s.metadata.labels?.[k] === v),
    );
    expect(matched.map((s) => s.metadata.labels?.["app.kubernetes.io/component"]).sort()).toEqual(["server", "worker"]);
  });

  it("baseline: passes every setting to prbox, and lets it read Secrets only in the copy source namespace", async () => {
    const values = {
      baseline: {
        podSecurity: "restricted",
        egressDeny: [],
        resourceQuota: "off",
        copySecrets: {
          from: "preview-secrets",
          names: ["registry"],
          selector: "prbox.dev/copy=true",
          imagePullSecrets: ["registry"],
        },
      },
    };
    const manifests = await renderChart(helm, values);
    const env = envOf(first(deploymentOf(manifests, "worker")));
    const value = (name: string) => env.get(name)?.value;
    expect([
      value("PRBOX_POD_SECURITY"),
      value("PRBOX_EGRESS_DENY"),
      value("PRBOX_RESOURCE_QUOTA"),
      value("PRBOX_NETWORK_POLICY"),
    ]).toEqual(["restricted", "off", "off", "isolate"]);
    expect([
      value("PRBOX_COPY_SECRETS_FROM"),
      value("PRBOX_COPY_SECRETS"),
      value("PRBOX_COPY_SECRETS_SELECTOR"),
      value("PRBOX_IMAGE_PULL_SECRETS"),
    ]).toEqual(["preview-secrets", "registry", "prbox.dev/copy=true", "registry"]);
    const [role] = ofKind(manifests, "Role");
    expect(role?.metadata.namespace).toBe("preview-secrets");
    expect((role as unknown as { rules: Rule[] }).rules).toEqual([
      { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] },
    ]);
    const binding = ofKind(manifests, "RoleBinding").find((b) => b.metadata.namespace === "preview-secrets");
    expect((binding as unknown as { roleRef: { kind: string; name: string } }).roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "rel-prbox-copy-secrets",
    });
    // Without a source namespace there is no Role at all.
    expect(ofKind(await rendered({}), "Role")).toEqual([]);
  });

  it("passes which pull requests want a preview, and the defaults are prbox's own", async () => {
    const envFor = async (values: object) => {
      const env = envOf(first(deploymentOf(await renderChart(helm, values), "server")));
      return Object.fromEntries(
        ["PRBOX_SKIP_DRAFTS", "PRBOX_SKIP_BOTS", "PRBOX_BOT_AUTHORS", "PRBOX_SKIP_LABEL", "PRBOX_PATHS"].map((n) => [
          n,
          env.get(n)?.value ?? "",
        ]),
      );
    };
    const defaults = await envFor({});
    expect(loadConfig(defaults).policy).toMatchObject(loadConfig({}).policy);
    const set = await envFor({
      policy: { skipDrafts: false, botAuthors: ["ci-robot"], skipLabel: "skip-preview", paths: ["src/**", "!**/*.md"] },
    });
    expect(set).toEqual({
      PRBOX_SKIP_DRAFTS: "false",
      PRBOX_SKIP_BOTS: "true",
      PRBOX_BOT_AUTHORS: "ci-robot",
      PRBOX_SKIP_LABEL: "skip-preview",
      PRBOX_PATHS: "src/**,!**/*.md",
    });
  });

  describe("refuses bad values with a clear message", () => {
    const cases: [string, object, RegExp][] = [
      [
        "a duration prbox cannot read",
        { policy: { deployTimeout: "soon" } },
        /\/policy\/deployTimeout.*'soon' does not match pattern/,
      ],
      ["a misspelt key", { servr: { replicas: 2 } }, /additional properties 'servr' not allowed/],
      [
        "replicas as text",
        { worker: { replicas: "two" } },
        /\/worker\/replicas.*(got string, want integer|expected integer)/,
      ],
      [
        "a wildcard in the environment role",
        { rbac: { environmentRules: [{ apiGroups: [""], resources: ["*"], verbs: ["get"] }] } },
        /\/rbac\/environmentRules\/0\/resources\/0/,
      ],
      ["no forge at all", { github: { enabled: false } }, /prbox serves no forge: set github.enabled=true/],
      ["no Redis", { redis: { internal: { enabled: false } } }, /redis: prbox needs a persistent Redis/],
      ["an unknown Pod Security level", { baseline: { podSecurity: "strict" } }, /\/baseline\/podSecurity/],
    ];
    for (const [what, values, message] of cases) {
      it(`${what}`, async () => {
        const outcome = await helmWith(helm, ["template", "rel"], values);
        expect(outcome.ok).toBe(false);
        expect(outcome.error).toMatch(message);
      });
    }
  });
});

/** The cluster-wide rules prbox may hold: namespaces, and binding its environment role in them. */
function isBootstrapRule(rule: Rule, environmentRole: string): boolean {
  const only = (list: string[] | undefined, allowed: string[]): boolean =>
    (list ?? []).length > 0 && (list ?? []).every((x) => allowed.includes(x));
  if (only(rule.apiGroups, [""]) && only(rule.resources, ["namespaces"])) {
    return (
      only(rule.verbs, ["get", "list", "watch", "create", "patch", "update", "delete"]) &&
      rule.resourceNames === undefined
    );
  }
  if (only(rule.apiGroups, ["rbac.authorization.k8s.io"]) && only(rule.resources, ["rolebindings"])) {
    return only(rule.verbs, ["get", "create", "patch"]);
  }
  if (only(rule.apiGroups, ["rbac.authorization.k8s.io"]) && only(rule.resources, ["clusterroles"])) {
    return only(rule.verbs, ["bind"]) && JSON.stringify(rule.resourceNames) === JSON.stringify([environmentRole]);
  }
  return false;
}
