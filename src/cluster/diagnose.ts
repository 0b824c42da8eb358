import type { CoreV1Event, KubernetesObject, V1Pod } from "@kubernetes/client-node";
import { classifyApiError } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { lastLogLines, podProblems } from "./pod-diagnostics.js";
import type { Readiness } from "./readiness.js";
import { describeRef, groupOf, type ObjectRef } from "./refs.js";
import { selectorString, type LabelSelector } from "./selectors.js";

const MAX_PODS = 50;
const MAX_EVENTS = 3;
const MAX_LOGS = 2;

/** The parts of a workload diagnosis reads. */
export interface DiagnosedObject extends KubernetesObject {
  spec?: { selector?: LabelSelector };
}

interface ConditionLike {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

async function bestEffort(what: string, read: () => Promise<string[]>): Promise<string[]> {
  try {
    return await read();
  } catch (error) {
    return [`could not read ${what}: ${classifyApiError(error, what).message}`];
  }
}

function replicaFailure(rs: KubernetesObject): string | undefined {
  const conditions = (rs as { status?: { conditions?: ConditionLike[] } }).status?.conditions ?? [];
  const failure = conditions.find((c) => c.type === "ReplicaFailure" && c.status === "True");
  if (!failure) return undefined;
  return `ReplicaSet ${rs.metadata?.name ?? "?"}: ${failure.reason ?? "ReplicaFailure"}: ${failure.message ?? ""}`;
}

/** ReplicaFailure conditions: where "exceeded quota" and admission refusals of pods show up. */
async function replicaSetFailures(cluster: Cluster, ref: ObjectRef, deployment: DiagnosedObject): Promise<string[]> {
  const selector = selectorString(deployment.spec?.selector);
  if (!selector || !ref.namespace) return [];
  const list = await cluster.objects.list(
    "apps/v1",
    "ReplicaSet",
    ref.namespace,
    undefined,
    undefined,
    undefined,
    undefined,
    selector,
  );
  const uid = deployment.metadata?.uid;
  const owned = list.items.filter((rs) => !uid || rs.metadata?.ownerReferences?.some((o) => o.uid === uid));
  return owned.map(replicaFailure).filter((line): line is string => line !== undefined);
}

async function podLines(cluster: Cluster, ref: ObjectRef, object: DiagnosedObject): Promise<string[]> {
  const labelSelector = selectorString(object.spec?.selector);
  if (!labelSelector || !ref.namespace) return [];
  const pods = await cluster.core.listNamespacedPod({ namespace: ref.namespace, labelSelector, limit: MAX_PODS });
  const seen = new Map<string, number>();
  const lines: string[] = [];
  let logs = 0;
  for (const problem of pods.items.flatMap((pod: V1Pod) => podProblems(pod))) {
    const count = seen.get(problem.key);
    seen.set(problem.key, (count ?? 0) + 1);
    if (count !== undefined) continue;
    let text = problem.text;
    if (problem.logsOf && logs++ < MAX_LOGS) text += `; ${await lastLogLines(cluster, problem.logsOf)}`;
    lines.push(text);
  }
  return lines;
}

function eventTime(event: CoreV1Event): number {
  const at = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp;
  return at ? new Date(at).getTime() : 0;
}

/** The object's own recent Warning events, newest first, each distinct message once. */
async function warningEvents(cluster: Cluster, ref: ObjectRef): Promise<string[]> {
  if (!ref.namespace) return [];
  const fieldSelector = `involvedObject.kind=${ref.kind},involvedObject.name=${ref.name},type=Warning`;
  const events = await cluster.core.listNamespacedEvent({ namespace: ref.namespace, fieldSelector });
  const sorted = [...events.items].sort((a, b) => eventTime(b) - eventTime(a));
  const texts = [...new Set(sorted.map((e) => `event ${e.reason ?? "Warning"}: ${e.message ?? ""}`))];
  return texts.slice(0, MAX_EVENTS);
}

/**
 * Why an object is not ready, in lines a developer can act on: the rollout
 * state, quota and admission failures of its ReplicaSets, what its pods are
 * stuck on (image pulls, crash loops with their last log lines, scheduling),
 * and its recent Warning events. Never throws: a diagnosis that cannot read
 * something says so and reports the rest.
 */
export async function diagnose(
  cluster: Cluster,
  ref: ObjectRef,
  object: DiagnosedObject | undefined,
  readiness: Readiness,
): Promise<string[]> {
  const name = describeRef(ref);
  const lines = readiness.state === "ready" ? [] : [readiness.reason];
  if (object) {
    if (ref.kind === "Deployment" && groupOf(ref.apiVersion) === "apps") {
      lines.push(...(await bestEffort("ReplicaSets", () => replicaSetFailures(cluster, ref, object))));
    }
    lines.push(...(await bestEffort("pods", () => podLines(cluster, ref, object))));
  }
  lines.push(...(await bestEffort("events", () => warningEvents(cluster, ref))));
  return lines.map((line) => `${name}: ${line}`);
}
