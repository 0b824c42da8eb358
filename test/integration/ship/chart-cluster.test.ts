// The chart's RBAC and admission policy against the real test control plane (RBAC authorizer,
// ValidatingAdmissionPolicy admission), acting as the chart's ServiceAccount with a real token.
import {
  ApiException,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  type KubernetesObject,
  type V1Namespace,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { currentSubject, ensureEnvironmentAccess } from "../../../src/cluster/access.js";
import {
  checkBaselineSettings,
  clusterFromKubeConfig,
  deleteEnvironment,
  deployEnvironment,
  type Cluster,
} from "../../../src/cluster/index.js";
import { defaultBaseline } from "../../../src/config/baseline.js";
import { patchNamespaceMetadata } from "../../../src/cluster/namespaces.js";
import { pollUntil } from "../../../src/cluster/poll.js";
import { ClusterError } from "../../../src/errors.js";
import type { KubeObject, RenderedEnvironment, RenderedObject } from "../../../src/model.js";
import {
  configMap,
  deployment,
  environment,
  main,
  testCluster,
  testKubeconfig,
  uniqueName,
} from "../../support/cluster-fixtures.js";
import { renderChart, type Manifest } from "./chart.js";

const helm = inject("helm");
const admin = testCluster();
const release = uniqueName("rb");
const fullname = `${release}-prbox`;
const environmentRole = `${fullname}-environment`;
const releaseNamespace = `${release}-system`;
const adoptedNamespace = `${release}-legacy`;
/** Another team's namespace: exists, has no prbox label, and must stay out of prbox's reach. */
const foreignNamespace = `${release}-team`;
/** The operator's namespace of Secrets for previews (baseline.copySecrets.from). */
const secretsNamespace = `${release}-secrets`;
const MANAGED = { "app.kubernetes.io/managed-by": "prbox" };
const APPLIED = [
  "ServiceAccount",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
];

let applied: Manifest[] = [];
let prbox: Cluster;
const createdNamespaces: string[] = [];

async function tokenCluster(serviceAccount: string): Promise<Cluster> {
  const token = await admin.core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace: releaseNamespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const server = admin.kubeConfig.getCurrentCluster();
  if (!server || !token.status?.token) throw new Error("no cluster or no token");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [server],
    users: [{ name: "prbox", token: token.status.token }],
    contexts: [{ name: "prbox", cluster: server.name, user: "prbox" }],
    currentContext: "prbox",
  });
  return clusterFromKubeConfig(kc);
}

/** The API server's refusal: HTTP 403 and its message (also under prbox's ClusterError). Fails the test when the call succeeds. */
async function refusal(call: Promise<unknown>): Promise<string> {
  const thrown: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  const error = thrown instanceof ClusterError ? thrown.cause : thrown;
  expect(error, "the API server allowed it").toBeInstanceOf(ApiException);
  expect((error as ApiException<unknown>).code).toBe(403);
  return String((error as ApiException<unknown>).body);
}

function namespaceBody(name: string, labels: Record<string, string> = {}): V1Namespace {
  return { metadata: { name, labels } };
}

async function ourNamespace(): Promise<string> {
  const name = uniqueName(`${release}-env`);
  createdNamespaces.push(name);
  await prbox.core.createNamespace({ body: namespaceBody(name, MANAGED) });
  return name;
}

/** The policy is enforced once a dry-run namespace without the label is refused by it. */
async function untilPolicyEnforced(): Promise<void> {
  const enforced = await pollUntil(
    async () => {
      try {
        await prbox.core.createNamespace({ body: namespaceBody(uniqueName(`${release}-probe`)), dryRun: "All" });
        return false;
      } catch (error) {
        return (
          error instanceof ApiException && String(error.body).includes("prbox may create only namespaces labelled")
        );
      }
    },
    { timeoutMs: 60_000, intervalMs: 250, what: "waiting for the admission policy" },
  );
  if (!enforced) throw new Error("the ValidatingAdmissionPolicy did not take effect within 60 s");
}

beforeAll(async () => {
  for (const name of [releaseNamespace, adoptedNamespace, foreignNamespace, secretsNamespace])
    await admin.core.createNamespace({ body: namespaceBody(name) });
  const values = {
    rbac: { adoptedNamespaces: [adoptedNamespace] },
    baseline: { copySecrets: { from: secretsNamespace, names: ["registry"], imagePullSecrets: ["registry"] } },
  };
  const manifests = await renderChart(helm, values, { release, namespace: releaseNamespace });
  applied = manifests.filter((m) => APPLIED.includes(m.kind));
  for (const manifest of applied) await admin.objects.apply(manifest);
  prbox = await tokenCluster(fullname);
  await untilPolicyEnforced();
});

afterAll(async () => {
  const clusterScoped = applied.filter(
    (m) => m.metadata.namespace === undefined || m.kind.startsWith("Cluster") || m.kind.startsWith("Validating"),
  );
  for (const manifest of clusterScoped) await admin.objects.delete(manifest as KubernetesObject).catch(() => undefined);
  for (const name of [...createdNamespaces, releaseNamespace, adoptedNamespace, foreignNamespace, secretsNamespace])
    await admin.core.deleteNamespace({ name }).catch(() => undefined);
});

describe("the chart's RBAC and admission policy, as prbox's service account", () => {
  it("is who prbox thinks it is", async () => {
    expect(await currentSubject(prbox)).toEqual({
      kind: "ServiceAccount",
      namespace: releaseNamespace,
      name: fullname,
    });
  });

  it("refuses to create a namespace without prbox's label", async () => {
    const message = await refusal(prbox.core.createNamespace({ body: namespaceBody(uniqueName(`${release}-bare`)) }));
    expect(message).toContain("prbox may create only namespaces labelled app.kubernetes.io/managed-by=prbox");
  });

  it("creates a labelled namespace, and writes inside it only once it bound the environment role there", async () => {
    const namespace = await ourNamespace();
    const before = await refusal(
      prbox.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "early" } } }),
    );
    expect(before).toContain(`cannot create resource \\"configmaps\\"`);

    await ensureEnvironmentAccess(prbox, namespace, await currentSubject(prbox), {
      clusterRole: environmentRole,
      timeoutMs: 30_000,
    });
    await prbox.core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: "settings" }, data: { a: "b" } },
    });
    await prbox.objects.apply({ ...deployment("web"), metadata: { name: "web", namespace } });
    expect((await admin.core.readNamespacedConfigMap({ name: "settings", namespace })).data).toEqual({ a: "b" });
  });

  // Dry runs pass authentication, authorization and admission like the real request, and leave the
  // cluster as it was should the policy ever let one through (these tests may run on a real cluster).
  it("cannot write into default or kube-system, not even the RoleBinding its cluster-wide bootstrap allows", async () => {
    const dryRun = "All";
    expect(
      await refusal(
        prbox.core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "x" } }, dryRun }),
      ),
    ).toContain("forbidden");
    const binding = {
      metadata: { name: "prbox-environment", namespace: "kube-system" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: environmentRole },
      subjects: [{ kind: "ServiceAccount", name: fullname, namespace: releaseNamespace }],
    };
    const rbac = prbox.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    expect(
      await refusal(rbac.createNamespacedRoleBinding({ namespace: "kube-system", body: binding, dryRun })),
    ).toContain(
      "prbox may write only inside namespaces labelled app.kubernetes.io/managed-by=prbox; kube-system is not",
    );
    const label = { apiVersion: "v1", kind: "Namespace", metadata: { name: "default", labels: MANAGED } };
    expect(
      await refusal(prbox.objects.patch(label, undefined, dryRun, "prbox", undefined, PatchStrategy.MergePatch)),
    ).toContain("prbox may change only namespaces labelled");
  });

  it("can neither take over nor delete another team's namespace", async () => {
    expect(await refusal(patchNamespaceMetadata(prbox, foreignNamespace, { labels: MANAGED }))).toContain(
      "prbox may change only namespaces labelled",
    );
    // Dry runs pass authorization and admission like the real request, and change nothing if the policy were wrong.
    expect(await refusal(prbox.core.deleteNamespace({ name: foreignNamespace, dryRun: "All" }))).toContain(
      "prbox may delete only namespaces it created",
    );
    expect(
      await refusal(
        prbox.core.createNamespacedConfigMap({
          namespace: foreignNamespace,
          body: { metadata: { name: "x" } },
          dryRun: "All",
        }),
      ),
    ).toContain("forbidden");
  });

  it("reads no Secrets outside its namespaces", async () => {
    await refusal(prbox.core.listNamespacedSecret({ namespace: "kube-system" }));
    await refusal(prbox.core.listNamespacedSecret({ namespace: "default" }));
    await refusal(prbox.core.listSecretForAllNamespaces());
  });

  it("cannot hand its environment role to another account, even in its own namespace", async () => {
    const namespace = await ourNamespace();
    await ensureEnvironmentAccess(prbox, namespace, await currentSubject(prbox), {
      clusterRole: environmentRole,
      timeoutMs: 30_000,
    });
    const binding = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "widen", namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: environmentRole },
      subjects: [{ kind: "ServiceAccount", name: "default", namespace }],
    };
    expect(await refusal(prbox.objects.apply(binding))).toContain("only to its own service account");
  });

  it("labels and writes into an adopted namespace the chart lists, but never deletes it", async () => {
    await patchNamespaceMetadata(prbox, adoptedNamespace, { labels: MANAGED });
    await prbox.core.createNamespacedConfigMap({
      namespace: adoptedNamespace,
      body: { metadata: { name: "adopted" } },
    });
    expect(await refusal(prbox.core.deleteNamespace({ name: adoptedNamespace, dryRun: "All" }))).toContain(
      "prbox may delete only namespaces it created",
    );
  });

  it("deploys and deletes an environment through prbox's own deploy path", async () => {
    const id = uniqueName(`${release}-e`);
    createdNamespaces.push(id);
    const rendered = environment({ id, objects: [main(configMap("settings")), main(deployment("web"))] });
    const result = await deployEnvironment(prbox, rendered, {
      wait: true,
      timeoutMs: 60_000,
      environmentClusterRole: environmentRole,
    });
    expect(result.applied.map((r) => r.kind).sort()).toEqual(["ConfigMap", "Deployment"]);
    const namespace = await admin.core.readNamespace({ name: id });
    expect(namespace.metadata?.annotations?.["prbox.dev/status"]).toBe("ready");

    const removed = await deleteEnvironment(prbox, id, { timeoutMs: 60_000 });
    expect(removed.namespaces).toEqual([id]);
  });

  it("gives every PR namespace its baseline, with the operator's Secrets copied from the one namespace it may read", async () => {
    await admin.core.createNamespacedSecret({
      namespace: secretsNamespace,
      body: { metadata: { name: "registry" }, stringData: { token: "chart-s3cr3t" } },
    });
    await checkBaselineSettings(prbox, {
      ...defaultBaseline(),
      secrets: { from: secretsNamespace, names: ["registry"], selector: null, imagePullSecrets: [] },
    });
    const baseline = {
      ...defaultBaseline(),
      secrets: { from: secretsNamespace, names: ["registry"], selector: null, imagePullSecrets: ["registry"] },
    };
    const id = uniqueName(`${release}-b`);
    createdNamespaces.push(id);

    await deployEnvironment(prbox, environment({ id, objects: [main(deployment("web"))] }), {
      wait: true,
      timeoutMs: 60_000,
      environmentClusterRole: environmentRole,
      baseline,
    });

    expect((await admin.core.readNamespacedSecret({ name: "registry", namespace: id })).data?.token).toBe(
      Buffer.from("chart-s3cr3t").toString("base64"),
    );
    expect(
      (await admin.core.readNamespacedServiceAccount({ name: "default", namespace: id })).imagePullSecrets,
    ).toEqual([{ name: "registry" }]);
    for (const kind of ["NetworkPolicy", "ResourceQuota", "LimitRange"]) {
      const apiVersion = kind === "NetworkPolicy" ? "networking.k8s.io/v1" : "v1";
      expect(
        await admin.objects.read({ apiVersion, kind, metadata: { name: "prbox-baseline", namespace: id } }),
        kind,
      ).toBeDefined();
    }
    // Reading Secrets stays limited to the source namespace.
    await refusal(prbox.core.listNamespacedSecret({ namespace: foreignNamespace }));
  });

  it("refuses to deploy into another team's namespace and leaves it unlabelled", async () => {
    const rendered = environment({
      id: uniqueName(`${release}-k`),
      namespace: foreignNamespace,
      mode: "cli",
      objects: [main(configMap("settings"))],
    });
    const error = await deployEnvironment(prbox, rendered, {
      wait: false,
      timeoutMs: 30_000,
      environmentClusterRole: environmentRole,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).message).toContain("prbox may change only namespaces labelled");
    expect(
      (await admin.core.readNamespace({ name: foreignNamespace })).metadata?.labels?.["app.kubernetes.io/managed-by"],
    ).toBeUndefined();
  });
});

describe("the chart's in-chart Redis on the API server", () => {
  it("keeps the generated password across upgrades (helm reads the Secret back), and its NetworkPolicies are accepted", async () => {
    // A release of its own: helm refuses to take over objects another release (the one above) owns.
    const upgraded = uniqueName("up");
    const namespace = `${upgraded}-system`;
    const secretName = `${upgraded}-prbox-redis`;
    const kept = `kept${uniqueName("pw").replace(/[^A-Za-z0-9]/g, "")}`;
    await admin.core.createNamespace({ body: namespaceBody(namespace) });
    try {
      // As the first install left it: owned by the release, so an upgrade may read and keep it.
      const owner = {
        labels: { "app.kubernetes.io/managed-by": "Helm" },
        annotations: { "meta.helm.sh/release-name": upgraded, "meta.helm.sh/release-namespace": namespace },
      };
      await admin.core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: secretName, ...owner }, stringData: { "redis-password": kept } },
      });

      const manifests = await renderChart(helm, {}, { release: upgraded, namespace, kubeconfig: testKubeconfig() });

      const secret = manifests.find((m) => m.kind === "Secret" && m.metadata.name === secretName);
      const data = (secret?.data ?? {}) as Record<string, string>;
      expect(Buffer.from(data["redis-password"] ?? "", "base64").toString("utf8")).toBe(kept);
      expect(Buffer.from(data.PRBOX_REDIS_URL ?? "", "base64").toString("utf8")).toBe(
        `redis://:${kept}@${upgraded}-prbox-redis:6379`,
      );
      const policies = manifests.filter((m) => m.kind === "NetworkPolicy");
      expect(policies.map((p) => p.metadata.name).sort()).toEqual([
        `${upgraded}-prbox-redis`,
        `${upgraded}-prbox-server`,
        `${upgraded}-prbox-worker`,
      ]);
      for (const policy of policies) await admin.objects.apply(policy);
    } finally {
      await admin.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  });
});

describe("deploying as prbox's service account (issue 12: RBAC order, refusals)", () => {
  const deployAs = (rendered: RenderedEnvironment) =>
    deployEnvironment(prbox, rendered, { wait: false, timeoutMs: 60_000, environmentClusterRole: environmentRole });

  function newEnvironment(objects: (namespace: string) => RenderedObject[]): RenderedEnvironment {
    const id = uniqueName(`${release}-r`);
    createdNamespaces.push(id);
    return environment({ id, objects: objects(id) });
  }

  const reader: KubeObject = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "reader" },
    rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
  };
  const readerBinding = (namespace: string): KubeObject => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "reader" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" },
    subjects: [{ kind: "ServiceAccount", name: "default", namespace }],
  });
  // The environment role grants nothing on coordination.k8s.io: the API server refuses a Lease.
  const lease: KubeObject = {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: "leader" },
    spec: { holderIdentity: "web" },
  };

  it("deploys a Role and the RoleBinding that names it on the first deploy", async () => {
    const rendered = newEnvironment((ns) => [main(readerBinding(ns)), main(reader)]);
    const result = await deployAs(rendered);

    expect(result.applied.map((r) => r.kind).sort()).toEqual(["Role", "RoleBinding"]);
    const rbac = admin.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const binding = await rbac.readNamespacedRoleBinding({ name: "reader", namespace: rendered.environment.namespace });
    expect(binding.roleRef.name).toBe("reader");
  });

  it("applies nothing of a render the API server refuses part of, and names the refused object", async () => {
    const rendered = newEnvironment(() => [main(configMap("settings")), main(deployment("web")), main(lease)]);
    const ns = rendered.environment.namespace;

    const error = await deployAs(rendered).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).kind).toBe("permanent");
    expect((error as ClusterError).message).toContain("nothing was applied");
    expect((error as ClusterError).message).toContain(`Lease leader in ${ns} (box app, templates/leader.yaml)`);
    expect((error as ClusterError).message).toContain(
      'cannot patch resource "leases" in API group "coordination.k8s.io"',
    );
    await expect(admin.core.readNamespacedConfigMap({ name: "settings", namespace: ns })).rejects.toMatchObject({
      code: 404,
    });
    const record = await admin.core.readNamespace({ name: ns });
    expect(record.metadata?.annotations?.["prbox.dev/status"]).toBe("failed");
    expect(record.metadata?.annotations?.["prbox.dev/kinds"] ?? "").not.toContain("Lease");
  });

  it("deploys the environment again once the refused object is gone from the render", async () => {
    const rendered = newEnvironment(() => [main(configMap("settings")), main(lease)]);
    await expect(deployAs(rendered)).rejects.toBeInstanceOf(ClusterError);

    const fixed = environment({ id: rendered.environment.id, objects: [main(configMap("settings"))] });
    const result = await deployAs(fixed);

    expect(result.applied.map((r) => r.kind)).toEqual(["ConfigMap"]);
    const record = await admin.core.readNamespace({ name: rendered.environment.namespace });
    expect(record.metadata?.annotations?.["prbox.dev/status"]).toBe("ready");
  });

  it("deploys an environment whose record names a kind prbox may not list (recorded by an older prbox)", async () => {
    const rendered = newEnvironment(() => [main(configMap("settings"))]);
    await deployAs(rendered);
    const ns = rendered.environment.namespace;
    await patchNamespaceMetadata(admin, ns, {
      annotations: { "prbox.dev/kinds": "coordination.k8s.io/v1/Lease,v1/ConfigMap" },
    });

    await deployAs(rendered);

    const record = await admin.core.readNamespace({ name: ns });
    expect(record.metadata?.annotations?.["prbox.dev/kinds"]).toBe("v1/ConfigMap");
  });
});
