// The namespace baseline of a pull request's environment on the real test control plane: Pod
// Security admission (built into kube-apiserver, not disabled by scripts/test-cluster), the
// NetworkPolicy, ResourceQuota and LimitRange, applied before any workload.
import { Watch, type KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it, onTestFinished } from "vitest";
import { defaultBaseline, type Baseline } from "../../../src/config/baseline.js";
import { deployEnvironment } from "../../../src/cluster/index.js";
import { ClusterError, NotReadyError, RenderError } from "../../../src/errors.js";
import type { KubeObject, RenderedObject } from "../../../src/model.js";
import {
  cleanUp,
  deployment,
  environment,
  job,
  main,
  testCluster,
  uniqueName,
} from "../../support/cluster-fixtures.js";

const cluster = testCluster();

function newId(prefix = "base"): string {
  const id = uniqueName(prefix);
  onTestFinished(() => cleanUp(cluster, id));
  return id;
}

/** The Deployment fixture with its pod spec changed: `pod` merged into the pod spec, `container` into its one container. */
function withPod(
  object: KubeObject,
  pod: Record<string, unknown>,
  container: Record<string, unknown> = {},
): KubeObject {
  const copy = structuredClone(object) as KubeObject & {
    spec: { template: { spec: { containers: Record<string, unknown>[] } } };
  };
  const spec = copy.spec.template.spec;
  Object.assign(spec, pod);
  spec.containers = spec.containers.map((c) => ({ ...c, ...container }));
  return copy;
}

async function failure<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

async function read(
  apiVersion: string,
  kind: string,
  name: string,
  namespace: string,
): Promise<(KubernetesObject & Record<string, unknown>) | null> {
  try {
    return (await cluster.objects.read({ apiVersion, kind, metadata: { name, namespace } })) as KubernetesObject &
      Record<string, unknown>;
  } catch {
    return null;
  }
}

/** A NetworkPolicy's spec as JSON: client-node's model names ingress[].from `_from` when it reads one. */
async function policySpec(namespace: string): Promise<unknown> {
  const policy = await read("networking.k8s.io/v1", "NetworkPolicy", "prbox-baseline", namespace);
  return policy === null
    ? null
    : (JSON.parse(JSON.stringify(policy.spec).replaceAll('"_from":', '"from":')) as unknown);
}

/** The resourceVersion each object had when it was created (its first ADDED event), by "kind/name". */
async function watchCreations(namespace: string): Promise<{ created: Map<string, number>; stop(): void }> {
  const created = new Map<string, number>();
  const watch = new Watch(cluster.kubeConfig);
  const paths: [string, string][] = [
    ["Namespace", `/api/v1/namespaces?fieldSelector=metadata.name%3D${namespace}`],
    ["NetworkPolicy", `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`],
    ["ResourceQuota", `/api/v1/namespaces/${namespace}/resourcequotas`],
    ["LimitRange", `/api/v1/namespaces/${namespace}/limitranges`],
    ["Deployment", `/apis/apps/v1/namespaces/${namespace}/deployments`],
    ["Pod", `/api/v1/namespaces/${namespace}/pods`],
  ];
  const controllers = await Promise.all(
    paths.map(([kind, path]) => {
      const [base = "", query = ""] = path.split("?");
      const params = Object.fromEntries(new URLSearchParams(query));
      return watch.watch(
        base,
        params,
        (phase, object: KubernetesObject) => {
          const key = `${kind}/${object.metadata?.name ?? ""}`;
          if (phase === "ADDED" && !created.has(key)) created.set(key, Number(object.metadata?.resourceVersion));
        },
        () => undefined,
      );
    }),
  );
  return { created, stop: () => controllers.forEach((c) => c.abort()) };
}

describe("a pull request's namespace", () => {
  it("has its Pod Security labels, NetworkPolicy, quota and limits before any workload, and a plain Deployment still deploys", async () => {
    const id = newId();
    const watched = await watchCreations(id);
    onTestFinished(() => watched.stop());

    await deployEnvironment(cluster, environment({ id, objects: [main(deployment("web"))] }), {
      wait: true,
      timeoutMs: 60_000,
    });

    const ns = await cluster.core.readNamespace({ name: id });
    expect(ns.metadata?.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
    const { created } = watched;
    const first = (prefix: string) =>
      Math.min(...[...created].filter(([key]) => key.startsWith(prefix)).map(([, rv]) => rv));
    const workload = Math.min(first("Deployment/"), first("Pod/"));
    expect(Number.isFinite(workload), "no workload seen").toBe(true);
    for (const key of [
      "Namespace/" + id,
      "NetworkPolicy/prbox-baseline",
      "ResourceQuota/prbox-baseline",
      "LimitRange/prbox-baseline",
    ]) {
      expect(created.get(key), `${key} created`).toBeDefined();
      expect(created.get(key), `${key} before the first workload`).toBeLessThan(workload);
    }
    // The LimitRange really was in force for the pods: the LimitRanger admission plugin filled in their requests.
    const pods = await cluster.core.listNamespacedPod({ namespace: id });
    expect(pods.items[0]?.spec?.containers[0]?.resources).toEqual({
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { memory: "1Gi" },
    });

    expect(await policySpec(id)).toEqual({
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [
            { podSelector: {} },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
          ],
        },
      ],
      egress: [
        {
          to: [
            { namespaceSelector: {} },
            { ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } },
            { ipBlock: { cidr: "::/0", except: ["fd00:ec2::254/128"] } },
          ],
        },
      ],
    });
    expect((await read("v1", "ResourceQuota", "prbox-baseline", id))?.spec).toEqual({ hard: defaultBaseline().quota });
  });

  it.each([
    [
      "a privileged container",
      withPod(deployment("web"), {}, { securityContext: { privileged: true } }),
      'privileged (container "main" must not set securityContext.privileged=true)',
    ],
    [
      "a hostPath volume",
      withPod(deployment("web"), { volumes: [{ name: "root", hostPath: { path: "/" } }] }),
      'hostPath volumes (volume "root")',
    ],
    ["hostNetwork", withPod(deployment("web"), { hostNetwork: true }), "host namespaces (hostNetwork=true)"],
    [
      "an added capability",
      withPod(deployment("web"), {}, { securityContext: { capabilities: { add: ["SYS_ADMIN"] } } }),
      'non-default capabilities (container "main" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
    ],
  ])("fails the deploy quickly for %s, with the API server's reason", async (_what, web, cause) => {
    const id = newId();
    // The timeout is the test's budget, not what it measures: the refusal must end the wait long before.
    const error = await failure(
      deployEnvironment(cluster, environment({ id, objects: [main(web)] }), { wait: true, timeoutMs: 120_000 }),
      NotReadyError,
    );

    expect(error.message).toBe(`Deployment web in ${id} failed`);
    expect(error.diagnostics[0]).toBe(`Deployment web in ${id}: pods refused by Pod Security "baseline": ${cause}`);
    const ns = await cluster.core.readNamespace({ name: id });
    expect(ns.metadata?.annotations?.["prbox.dev/status"]).toBe("failed");
  });

  it("fails a Job whose pods are refused (the reason is only in its events)", async () => {
    const id = newId();
    const migrate = job("migrate") as KubeObject & { spec: { template: { spec: Record<string, unknown> } } };
    migrate.spec.template.spec.hostPID = true;

    const error = await failure(
      deployEnvironment(cluster, environment({ id, objects: [main(migrate)] }), { wait: true, timeoutMs: 120_000 }),
      NotReadyError,
    );

    expect(error.diagnostics[0]).toBe(
      `Job migrate in ${id}: pods refused by Pod Security "baseline": host namespaces (hostPID=true)`,
    );
  });

  it("follows the operator's settings: each rule changes, and a rule switched off goes away", async () => {
    const id = newId();
    const loose: Baseline = {
      ...defaultBaseline(),
      podSecurity: "privileged",
      networkPolicy: null,
      quota: { pods: "3" },
      limits: null,
    };
    const privileged = withPod(deployment("web"), {}, { securityContext: { privileged: true } });
    const rendered = environment({ id, objects: [main(privileged)] });

    await deployEnvironment(cluster, rendered, { wait: true, timeoutMs: 60_000, baseline: loose });

    expect(
      (await cluster.core.readNamespace({ name: id })).metadata?.labels?.["pod-security.kubernetes.io/enforce"],
    ).toBe("privileged");
    expect(await read("networking.k8s.io/v1", "NetworkPolicy", "prbox-baseline", id)).toBeNull();
    expect(await read("v1", "LimitRange", "prbox-baseline", id)).toBeNull();
    expect((await read("v1", "ResourceQuota", "prbox-baseline", id))?.spec).toEqual({ hard: { pods: "3" } });

    const strict: Baseline = {
      ...defaultBaseline(),
      podSecurity: "restricted",
      quota: null,
      networkPolicy: { ingressNamespaces: { matchLabels: { team: "edge" }, matchExpressions: [] }, egressDeny: [] },
      limits: { max: { memory: "1Gi" } },
    };
    await deployEnvironment(cluster, environment({ id, objects: [main(configMapOnly())] }), {
      wait: true,
      timeoutMs: 60_000,
      baseline: strict,
    });

    expect(
      (await cluster.core.readNamespace({ name: id })).metadata?.labels?.["pod-security.kubernetes.io/enforce"],
    ).toBe("restricted");
    expect(await read("v1", "ResourceQuota", "prbox-baseline", id)).toBeNull();
    expect(await policySpec(id)).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { team: "edge" } } }] }],
    });
    // The API server fills default and defaultRequest in from max.
    expect((await read("v1", "LimitRange", "prbox-baseline", id))?.spec).toMatchObject({
      limits: [{ type: "Container", max: { memory: "1Gi" } }],
    });
  });

  it("refuses a spec that replaces a baseline object, before anything is created", async () => {
    const id = newId();
    const quota: RenderedObject = main({
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "prbox-baseline" },
      spec: { hard: { pods: "1000" } },
    });

    const error = await failure(
      deployEnvironment(cluster, environment({ id, objects: [quota] }), { wait: false, timeoutMs: 30_000 }),
      RenderError,
    );

    expect(error.message).toBe(
      "ResourceQuota prbox-baseline (templates/prbox-baseline.yaml) replaces the baseline's ResourceQuota prbox-baseline; a pull request cannot weaken its namespace's baseline",
    );
    expect((await cluster.core.listNamespace({ labelSelector: `prbox.dev/environment=${id}` })).items).toEqual([]);
  });

  it("is never an existing namespace taken over, while CLI mode still adopts one", async () => {
    const id = newId();
    await cluster.core.createNamespace({ body: { metadata: { name: id, labels: { team: "shop" } } } });
    onTestFinished(() =>
      cluster.core.deleteNamespace({ name: id }).then(
        () => undefined,
        () => undefined,
      ),
    );

    const error = await failure(
      deployEnvironment(cluster, environment({ id, objects: [main(configMapOnly())] }), {
        wait: false,
        timeoutMs: 30_000,
      }),
      ClusterError,
    );

    expect(error.message).toBe(
      `namespace ${id} exists and is not environment ${id}'s: a pull request's environment never takes over an existing namespace`,
    );
    expect((await cluster.core.readNamespace({ name: id })).metadata?.labels).toEqual({
      team: "shop",
      "kubernetes.io/metadata.name": id,
    });

    await deployEnvironment(cluster, environment({ id, mode: "cli", objects: [main(configMapOnly())] }), {
      wait: false,
      timeoutMs: 30_000,
    });
    expect((await cluster.core.readNamespace({ name: id })).metadata?.labels?.["prbox.dev/adopted"]).toBe("true");
  });
});

function configMapOnly(): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: "b" } };
}
