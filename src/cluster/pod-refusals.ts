import type { Cluster } from "./client.js";
import type { Readiness } from "./readiness.js";
import type { ObjectRef } from "./refs.js";

/**
 * Pods the API server refuses at admission never exist: a Deployment's ReplicaSet records
 * FailedCreate (its ReplicaFailure condition, copied onto the Deployment), a StatefulSet, DaemonSet
 * or Job only a FailedCreate event. A Pod Security refusal is definite (the same template is
 * refused every time), so the wait ends at once with the API server's reason instead of running
 * into the timeout. The reason exists only as the admission message, so it is read from there.
 */
const POD_SECURITY = /violates PodSecurity "([^":]+)(?::[^"]*)?": ([^]*)$/;

/** `pods refused by Pod Security "baseline": privileged (...)`, or undefined for any other message. */
export function podSecurityRefusal(message: string | undefined): string | undefined {
  const match = POD_SECURITY.exec(message ?? "");
  if (!match) return undefined;
  return `pods refused by Pod Security "${match[1] ?? ""}": ${(match[2] ?? "").trim()}`;
}

interface Condition {
  type?: string;
  status?: string;
  message?: string;
}

/** A Deployment whose ReplicaFailure condition is a Pod Security refusal has failed. */
export function refusedByCondition(object: { status?: { conditions?: Condition[] } }): Readiness | undefined {
  const failure = object.status?.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True");
  const reason = podSecurityRefusal(failure?.message);
  return reason === undefined ? undefined : { state: "failed", reason };
}

const EVENT_KINDS = new Set(["StatefulSet", "DaemonSet", "Job"]);

/** For kinds that create pods themselves: a Pod Security refusal among the object's FailedCreate events. */
export async function refusedByEvents(
  cluster: Cluster,
  ref: ObjectRef,
  uid: string | undefined,
): Promise<Readiness | undefined> {
  if (!EVENT_KINDS.has(ref.kind) || !ref.namespace || !uid) return undefined;
  const fieldSelector = `involvedObject.uid=${uid},reason=FailedCreate`;
  const events = await cluster.core.listNamespacedEvent({ namespace: ref.namespace, fieldSelector });
  const reason = events.items.map((e) => podSecurityRefusal(e.message)).find((r) => r !== undefined);
  return reason === undefined ? undefined : { state: "failed", reason };
}
