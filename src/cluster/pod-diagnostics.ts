import { ApiException, type V1ContainerStatus, type V1Pod } from "@kubernetes/client-node";
import { apiStatus, networkReason, statusMessage } from "./api-errors.js";
import type { Cluster } from "./client.js";

const LOG_LINES = 20;
const IMAGE_REASONS = new Set(["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"]);

/** One problem of one pod; `key` lets the caller report a problem shared by many replicas once. */
export interface PodProblem {
  key: string;
  text: string;
  /** Set for crash loops: fetch the logs of this container. */
  logsOf?: { pod: string; namespace: string; container: string };
}

interface Where {
  pod: V1Pod;
  status: V1ContainerStatus;
  text: string;
}

function logsOf({ pod, status }: Where): PodProblem["logsOf"] {
  return { pod: pod.metadata?.name ?? "?", namespace: pod.metadata?.namespace ?? "", container: status.name };
}

function imageProblem(where: Where, reason: string, message: string | undefined): PodProblem {
  const detail = message ? ` (${message})` : "";
  return {
    key: `${where.status.name}|${reason}|${where.status.image}`,
    text: `${where.text}: ${reason}: image "${where.status.image}" cannot be pulled${detail}`,
  };
}

function crashProblem(where: Where): PodProblem {
  const last = where.status.lastState?.terminated;
  const exit = last ? `, last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ""}` : "";
  return {
    key: `${where.status.name}|CrashLoopBackOff`,
    text: `${where.text}: CrashLoopBackOff: restarted ${where.status.restartCount} times${exit}`,
    logsOf: logsOf(where),
  };
}

function waitingProblem(where: Where): PodProblem | undefined {
  const waiting = where.status.state?.waiting;
  const reason = waiting?.reason;
  if (!reason || reason === "ContainerCreating" || reason === "PodInitializing") return undefined;
  if (IMAGE_REASONS.has(reason)) return imageProblem(where, reason, waiting.message);
  if (reason === "CrashLoopBackOff") return crashProblem(where);
  return {
    key: `${where.status.name}|${reason}`,
    text: `${where.text}: ${reason}${waiting.message ? `: ${waiting.message}` : ""}`,
  };
}

function terminatedProblem(where: Where): PodProblem | undefined {
  const terminated = where.status.state?.terminated;
  if (!terminated || terminated.exitCode === 0) return undefined;
  return {
    key: `${where.status.name}|exit|${terminated.exitCode}`,
    text: `${where.text}: exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ""}`,
    logsOf: logsOf(where),
  };
}

function containerProblem(pod: V1Pod, status: V1ContainerStatus): PodProblem | undefined {
  const where = { pod, status, text: `pod ${pod.metadata?.name ?? "?"}, container ${status.name}` };
  return waitingProblem(where) ?? terminatedProblem(where);
}

function schedulingProblem(pod: V1Pod): PodProblem | undefined {
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status !== "False") return undefined;
  // The scheduler's condition reason is "Unschedulable"; its event, the name people know, is FailedScheduling.
  const reason = !scheduled.reason || scheduled.reason === "Unschedulable" ? "FailedScheduling" : scheduled.reason;
  return {
    key: `scheduling|${scheduled.message ?? ""}`,
    text: `pod ${pod.metadata?.name ?? "?"}: ${reason}: ${scheduled.message ?? "no node fits"}`,
  };
}

/** What keeps one pod from running: scheduling first, then each container's state. */
export function podProblems(pod: V1Pod): PodProblem[] {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const problems = [schedulingProblem(pod), ...statuses.map((status) => containerProblem(pod, status))];
  return problems.filter((p): p is PodProblem => p !== undefined);
}

function why(error: unknown): string {
  if (error instanceof ApiException) return statusMessage(error);
  return apiStatus(error) === undefined ? networkReason(error) : String(error);
}

/** The last lines one container wrote, or why they cannot be read (a cluster without logs, kwok). */
export async function logTail(
  cluster: Cluster,
  target: NonNullable<PodProblem["logsOf"]>,
  previous = false,
): Promise<{ lines: string } | { unavailable: string }> {
  const request = { name: target.pod, namespace: target.namespace, container: target.container, tailLines: LOG_LINES };
  try {
    return { lines: (await cluster.core.readNamespacedPodLog({ ...request, previous })).trimEnd() };
  } catch (error) {
    return { unavailable: why(error) };
  }
}

/**
 * The last lines a crashing container wrote. The previous instance's log is
 * the one that shows the crash; a container that never restarted only has a
 * current one. Logs are a courtesy: failing to read them is reported, not thrown.
 */
export async function lastLogLines(cluster: Cluster, target: NonNullable<PodProblem["logsOf"]>): Promise<string> {
  let firstError: string | undefined;
  for (const previous of [true, false]) {
    const tail = await logTail(cluster, target, previous);
    if ("lines" in tail)
      return tail.lines === "" ? "(the container wrote no log lines)" : `last log lines:\n${indent(tail.lines)}`;
    firstError ??= tail.unavailable;
  }
  return `(logs unavailable: ${firstError})`;
}

function indent(text: string): string {
  return text
    .split("\n")
    .slice(-LOG_LINES)
    .map((line) => `    | ${line}`)
    .join("\n");
}
