import { NotReadyError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { classifyApiError, isNotFound } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { diagnose, type DiagnosedObject } from "./diagnose.js";
import { refusedByEvents } from "./pod-refusals.js";
import { mapLimit } from "../limit.js";
import { formatDuration, pollUntil, Wakeup } from "./poll.js";
import { hasReadiness, readinessOf, type Readiness, type WorkloadLike } from "./readiness.js";
import { describeRef, type ObjectRef } from "./refs.js";
import { watchObjects, type ObjectWatch } from "./watch.js";

export const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export interface WaitOptions {
  /** Default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Between two rounds of GETs; default 1 s. */
  intervalMs?: number;
  concurrency?: number;
  log?: Logger;
}

interface Tracked {
  ref: ObjectRef;
  object: (DiagnosedObject & WorkloadLike) | undefined;
  readiness: Readiness;
}

/**
 * One GET per object and round. A read that fails transiently (a 500, a
 * dropped connection) leaves the object pending rather than failing a
 * five-minute wait on one bad answer; a permanent failure (403) is thrown.
 */
async function refresh(cluster: Cluster, item: Tracked): Promise<void> {
  try {
    const header = {
      apiVersion: item.ref.apiVersion,
      kind: item.ref.kind,
      metadata: { name: item.ref.name, namespace: item.ref.namespace },
    };
    item.object = (await cluster.objects.read(header)) as DiagnosedObject & WorkloadLike;
    item.readiness = readinessOf(item.ref, item.object);
    if (item.readiness.state === "pending")
      item.readiness = (await refusedByEvents(cluster, item.ref, item.object.metadata?.uid)) ?? item.readiness;
  } catch (error) {
    if (isNotFound(error)) {
      item.readiness = { state: "pending", reason: "does not exist (deleted while waiting?)" };
      return;
    }
    const classified = classifyApiError(error, `reading ${describeRef(item.ref)}`);
    if (classified.kind !== "transient") throw classified;
    item.readiness = { state: "pending", reason: classified.message };
  }
}

async function notReady(cluster: Cluster, message: string, items: readonly Tracked[]): Promise<NotReadyError> {
  const diagnostics = await mapLimit(items, 4, (item) => diagnose(cluster, item.ref, item.object, item.readiness));
  return new NotReadyError(message, diagnostics.flat());
}

function settled(items: readonly Tracked[]): boolean {
  return items.some((i) => i.readiness.state === "failed") || items.every((i) => i.readiness.state === "ready");
}

function summary(items: readonly Tracked[]): string {
  return items.map((i) => describeRef(i.ref)).join(", ");
}

/**
 * Waits until every Deployment, StatefulSet and DaemonSet among `refs` has
 * rolled out and every Job has completed; other kinds need no waiting. A
 * definite failure (Job Failed, ProgressDeadlineExceeded) ends the wait
 * early. Throws NotReadyError naming each failing object with the cluster's
 * reasons.
 */
export async function waitForReady(
  cluster: Cluster,
  refs: readonly ObjectRef[],
  options: WaitOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = options.log ?? silentLogger;
  const items: Tracked[] = refs
    .filter(hasReadiness)
    .map((ref) => ({ ref, object: undefined, readiness: { state: "pending", reason: "not read yet" } }));
  if (items.length === 0) return;
  log.debug({ objects: summary(items), timeoutMs }, "waiting for workloads");

  // Once a round of reads leaves something pending, a watch of what is pending ends each pause as
  // soon as a workload settles, so readiness is seen when it happens, not at the next poll; the
  // polls still read every pending object (and its events) themselves. A wait that is over at once
  // opens no watch.
  const wakeup = new Wakeup();
  let watching: ObjectWatch | undefined;
  const watch = (): ObjectWatch =>
    watchObjects(
      cluster,
      items.filter((i) => i.readiness.state === "pending").map((i) => i.ref),
      (ref, object) => {
        if (readinessOf(ref, object as WorkloadLike).state !== "pending") wakeup.notify();
      },
      log,
    );
  let done: boolean;
  try {
    done = await pollUntil(
      async () => {
        const open = items.filter((i) => i.readiness.state === "pending");
        await mapLimit(open, options.concurrency ?? 8, (item) => refresh(cluster, item));
        if (settled(items)) return true;
        watching ??= watch();
        return false;
      },
      {
        timeoutMs,
        intervalMs: options.intervalMs ?? 1000,
        signal: options.signal,
        what: "waiting for workloads",
        wakeup,
      },
    );
  } finally {
    watching?.stop();
  }

  const failed = items.filter((i) => i.readiness.state === "failed");
  if (failed.length > 0) throw await notReady(cluster, `${summary(failed)} failed`, failed);
  if (!done) {
    const pending = items.filter((i) => i.readiness.state === "pending");
    const verb = pending.length === 1 ? "is" : "are";
    throw await notReady(cluster, `${summary(pending)} ${verb} not ready after ${formatDuration(timeoutMs)}`, pending);
  }
}
