import { refusedByCondition } from "./pod-refusals.js";
import { groupOf, type ObjectRef } from "./refs.js";

/**
 * Whether a workload has rolled out, from the object alone (no pods): the same
 * rules as `kubectl rollout status` and `kubectl wait --for=condition=complete`.
 */
export type Readiness = { state: "ready" } | { state: "pending"; reason: string } | { state: "failed"; reason: string };

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** The fields readiness reads; client-node's typed models all fit this shape. */
export interface WorkloadLike {
  metadata?: { generation?: number };
  spec?: {
    replicas?: number;
    paused?: boolean;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    conditions?: Condition[];
  };
}

const READY: Readiness = { state: "ready" };

function pending(reason: string): Readiness {
  return { state: "pending", reason };
}

function condition(object: WorkloadLike, type: string): Condition | undefined {
  return object.status?.conditions?.find((c) => c.type === type);
}

function generationObserved(object: WorkloadLike): boolean {
  return (object.status?.observedGeneration ?? -1) >= (object.metadata?.generation ?? 0);
}

function progressDeadlineExceeded(d: WorkloadLike): Readiness | undefined {
  const progressing = condition(d, "Progressing");
  if (progressing?.status !== "False" || progressing.reason !== "ProgressDeadlineExceeded") return undefined;
  return { state: "failed", reason: `ProgressDeadlineExceeded: ${progressing.message ?? "rollout stalled"}` };
}

function deploymentReplicas(want: number, s: NonNullable<WorkloadLike["status"]>): Readiness {
  const updated = s.updatedReplicas ?? 0;
  const total = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  if (updated < want) return pending(`${updated} of ${want} replicas updated`);
  if (total > updated) return pending(`${total - updated} old replicas pending termination`);
  if (available < want) return pending(`${available} of ${want} replicas available`);
  return READY;
}

function deploymentReadiness(d: WorkloadLike): Readiness {
  if (d.spec?.paused) return READY; // a paused rollout will not progress: nothing to wait for
  if (!generationObserved(d)) return pending("waiting for the controller to see the new spec");
  return (
    progressDeadlineExceeded(d) ?? refusedByCondition(d) ?? deploymentReplicas(d.spec?.replicas ?? 1, d.status ?? {})
  );
}

function statefulSetUpdate(st: WorkloadLike, want: number): Readiness {
  const s = st.status ?? {};
  if (st.spec?.updateStrategy?.type === "OnDelete") return READY;
  const partition = st.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  if (partition > 0) {
    const updated = s.updatedReplicas ?? 0;
    return updated >= want - partition ? READY : pending(`${updated} of ${want - partition} replicas updated`);
  }
  if (s.updateRevision && s.currentRevision !== s.updateRevision) return pending("rolling update in progress");
  return READY;
}

function statefulSetReadiness(st: WorkloadLike): Readiness {
  if (!generationObserved(st)) return pending("waiting for the controller to see the new spec");
  const want = st.spec?.replicas ?? 1;
  const ready = st.status?.readyReplicas ?? 0;
  if (ready < want) return pending(`${ready} of ${want} replicas ready`);
  return statefulSetUpdate(st, want);
}

function daemonSetReadiness(ds: WorkloadLike): Readiness {
  if (!generationObserved(ds)) return pending("waiting for the controller to see the new spec");
  const s = ds.status ?? {};
  const want = s.desiredNumberScheduled ?? 0;
  if ((s.updatedNumberScheduled ?? 0) < want)
    return pending(`${s.updatedNumberScheduled ?? 0} of ${want} pods updated`);
  if ((s.numberAvailable ?? 0) < want) return pending(`${s.numberAvailable ?? 0} of ${want} pods available`);
  return READY;
}

function jobReadiness(job: WorkloadLike): Readiness {
  const failed = condition(job, "Failed");
  if (failed?.status === "True") {
    return { state: "failed", reason: `${failed.reason ?? "Failed"}: ${failed.message ?? "the Job failed"}` };
  }
  return condition(job, "Complete")?.status === "True" ? READY : pending("not complete yet");
}

const RULES: Record<string, (object: WorkloadLike) => Readiness> = {
  "apps/Deployment": deploymentReadiness,
  "apps/StatefulSet": statefulSetReadiness,
  "apps/DaemonSet": daemonSetReadiness,
  "batch/Job": jobReadiness,
};

function ruleFor(ref: Pick<ObjectRef, "apiVersion" | "kind">): ((object: WorkloadLike) => Readiness) | undefined {
  return RULES[`${groupOf(ref.apiVersion)}/${ref.kind}`];
}

/** Kinds prbox waits for; everything else counts as ready once applied. */
export function hasReadiness(ref: Pick<ObjectRef, "apiVersion" | "kind">): boolean {
  return ruleFor(ref) !== undefined;
}

export function readinessOf(ref: Pick<ObjectRef, "apiVersion" | "kind">, object: WorkloadLike): Readiness {
  return ruleFor(ref)?.(object) ?? READY;
}
