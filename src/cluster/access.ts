import { AuthenticationV1Api, AuthorizationV1Api, type RbacV1Subject } from "@kubernetes/client-node";
import { ClusterError } from "../errors.js";
import { call } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { LABEL_MANAGED_BY, MANAGED_BY } from "./keys.js";
import { pollUntil } from "./poll.js";

/**
 * Least privilege in a cluster (docs/adr/0010-image-and-chart.md): prbox's cluster-wide rights
 * are only namespaces and the bootstrap of this RoleBinding. In every environment namespace it
 * binds itself to the operator's ClusterRole (PRBOX_ENVIRONMENT_CLUSTER_ROLE) that lists the
 * namespaced kinds an environment may contain, and only then writes into the namespace.
 */
export const ACCESS_BINDING = "prbox-environment";

export interface AccessOptions {
  /** The ClusterRole to bind in the namespace. */
  clusterRole: string;
  /** How long to wait for the API server's authorizer to see the new binding. */
  timeoutMs: number;
  signal?: AbortSignal;
}

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** Who prbox is to the API server (a SelfSubjectReview, which every authenticated user may make). */
export async function currentSubject(cluster: Cluster): Promise<RbacV1Subject> {
  const api = cluster.kubeConfig.makeApiClient(AuthenticationV1Api);
  const review = await call("asking the API server who prbox is (SelfSubjectReview)", () =>
    api.createSelfSubjectReview({ body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } }),
  );
  const username = review.status?.userInfo?.username;
  if (!username)
    throw new ClusterError("the API server did not say which user prbox is (SelfSubjectReview has no username)");
  const [, namespace, name] = SERVICE_ACCOUNT.exec(username) ?? [];
  if (namespace && name) return { kind: "ServiceAccount", namespace, name };
  return { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: username };
}

function binding(namespace: string, clusterRole: string, subject: RbacV1Subject) {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    // No prbox.dev/environment label: prune and /reload select the environment's objects by it,
    // and must never delete the binding prbox needs to do its work.
    metadata: { name: ACCESS_BINDING, namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
    subjects: [subject],
  };
}

/** prbox reads pods and their events to wait and to diagnose: the environment role must grant that. */
async function canListPods(cluster: Cluster, namespace: string): Promise<boolean> {
  const api = cluster.kubeConfig.makeApiClient(AuthorizationV1Api);
  const review = await call(`checking prbox's access to namespace ${namespace}`, () =>
    api.createSelfSubjectAccessReview({
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: { namespace, verb: "list", resource: "pods" } },
      },
    }),
  );
  return review.status?.allowed === true;
}

/**
 * Server-side applies the RoleBinding that gives prbox the environment ClusterRole in the
 * namespace, then waits until the authorizer honours it (RBAC caches are eventually consistent:
 * writing at once could be refused with 403).
 */
export async function ensureEnvironmentAccess(
  cluster: Cluster,
  namespace: string,
  subject: RbacV1Subject,
  options: AccessOptions,
): Promise<void> {
  await call(`binding ClusterRole ${options.clusterRole} to prbox in namespace ${namespace}`, () =>
    cluster.objects.apply(binding(namespace, options.clusterRole, subject)),
  );
  const granted = await pollUntil(() => canListPods(cluster, namespace), {
    timeoutMs: options.timeoutMs,
    intervalMs: 200,
    signal: options.signal,
    what: `waiting for access to namespace ${namespace}`,
  });
  if (!granted) {
    throw new ClusterError(
      `prbox still cannot list pods in namespace ${namespace} after binding ClusterRole ${options.clusterRole} there`,
      {
        hint: `the ClusterRole ${options.clusterRole} must grant get/list/watch on pods, pods/log and events (the chart's <release>-environment role does); check PRBOX_ENVIRONMENT_CLUSTER_ROLE`,
      },
    );
  }
}
