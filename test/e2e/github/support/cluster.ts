// What the tests look at in the real test cluster: the PR's namespace, its objects, whether the
// Deployments are Available. Read-only, except for cleaning up namespaces after a test.
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  type V1Deployment,
  type V1Namespace,
} from "@kubernetes/client-node";
import { testKubeconfig } from "../../../support/cluster-fixtures.js";
import { prEnvironmentId, prRepoNamespace } from "../../../../src/spec/naming.js";

export interface Kube {
  core: CoreV1Api;
  apps: AppsV1Api;
  networking: NetworkingV1Api;
}

export function kube(): Kube {
  const kc = new KubeConfig();
  kc.loadFromFile(testKubeconfig());
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
  };
}

/** The namespace prbox gives PR `pr` of `repo` when the spec names none (ADR 4). */
export function namespaceOf(repo: string, pr: number): string {
  return prRepoNamespace("github", repo, pr);
}

export function environmentOf(repo: string, pr: number): string {
  return prEnvironmentId("github", repo, pr);
}

function status(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** The namespace, or null when it does not exist. A namespace being deleted counts as gone. */
export async function liveNamespace(k: Kube, name: string): Promise<V1Namespace | null> {
  try {
    const ns = await k.core.readNamespace({ name });
    return ns.metadata?.deletionTimestamp ? null : ns;
  } catch (error) {
    if (status(error) === 404) return null;
    throw error;
  }
}

/** The namespace exists at all (Terminating included). */
export async function namespaceExists(k: Kube, name: string): Promise<boolean> {
  try {
    await k.core.readNamespace({ name });
    return true;
  } catch (error) {
    if (status(error) === 404) return false;
    throw error;
  }
}

export interface Listed {
  kind: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
}

/** The objects prbox manages in a namespace: ConfigMaps, Services, Deployments, Ingresses. */
export async function objectsIn(k: Kube, namespace: string): Promise<Listed[]> {
  const selector = { namespace, labelSelector: "app.kubernetes.io/managed-by=prbox" };
  const [configMaps, services, deployments, ingresses] = await Promise.all([
    k.core.listNamespacedConfigMap(selector),
    k.core.listNamespacedService(selector),
    k.apps.listNamespacedDeployment(selector),
    k.networking.listNamespacedIngress(selector),
  ]);
  const listed = (
    kind: string,
    items: { metadata?: { name?: string; uid?: string; labels?: Record<string, string> } }[],
  ) =>
    items.map((o) => ({
      kind,
      name: o.metadata?.name ?? "",
      uid: o.metadata?.uid ?? "",
      labels: o.metadata?.labels ?? {},
    }));
  return [
    ...listed("ConfigMap", configMaps.items),
    ...listed("Service", services.items),
    ...listed("Deployment", deployments.items),
    ...listed("Ingress", ingresses.items),
  ];
}

function available(deployment: V1Deployment): boolean {
  return deployment.status?.conditions?.some((c) => c.type === "Available" && c.status === "True") === true;
}

/** Every Deployment in the namespace is Available (and there is at least one). */
export async function deploymentsAvailable(k: Kube, namespace: string): Promise<boolean> {
  const { items } = await k.apps.listNamespacedDeployment({ namespace });
  return items.length > 0 && items.every(available);
}

/** Asks the cluster to delete every namespace prbox made for `repo`; does not wait. */
export async function deleteNamespacesOf(k: Kube, repo: string): Promise<void> {
  const { items } = await k.core.listNamespace({ labelSelector: "app.kubernetes.io/managed-by=prbox" });
  const ours = items.filter(
    (ns) => ns.metadata?.annotations?.["prbox.dev/repo"] === repo && !ns.metadata.deletionTimestamp,
  );
  await Promise.all(ours.map((ns) => k.core.deleteNamespace({ name: ns.metadata?.name ?? "" }).catch(() => undefined)));
}
