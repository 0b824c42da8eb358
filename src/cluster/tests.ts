import type { V1Pod } from "@kubernetes/client-node";
import { applyObjects, type ApplyOptions } from "./apply.js";
import { classifyApiError, isNotFound } from "./api-errors.js";
import type { Cluster } from "./client.js";
import { byWeight, policiesOf } from "./hooks.js";
import { mapLimit } from "../limit.js";
import { logTail, podProblems } from "./pod-diagnostics.js";
import { formatDuration, pollUntil } from "./poll.js";
import type { PreparedObject } from "./prepare.js";
import { describeRef, refOf, type ObjectRef } from "./refs.js";
import { deleteAndWait, deleteObject } from "./removal.js";

/** One Helm test (a Pod or a Job annotated `helm.sh/hook: test`) and how it ended. */
export interface TestResult {
  ref: ObjectRef;
  box: string;
  passed: boolean;
  /** "succeeded", "container check exited with code 1 (Error)", "did not finish within 5m: …". */
  detail: string;
  /** A failed test's last log lines per container, or why they could not be read; empty when it passed. */
  logs: { container: string; text: string }[];
}

type Outcome = { passed: boolean; detail: string } | null;

interface Running {
  item: PreparedObject;
  ref: ObjectRef;
  object: { status?: unknown; spec?: unknown; metadata?: { name?: string } } | null;
  outcome: Outcome;
}

/** Only Pods and Jobs are tests; other test hooks (a ConfigMap a test reads) are applied with them. */
function isTest(ref: ObjectRef): boolean {
  return (ref.kind === "Pod" && ref.apiVersion === "v1") || (ref.kind === "Job" && ref.apiVersion.startsWith("batch/"));
}

/** Why a pod failed: the first container that exited non-zero, else what the pod's status says. */
function podFailure(pod: V1Pod): string {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const status of statuses) {
    const terminated = status.state?.terminated;
    if (!terminated || terminated.exitCode === 0) continue;
    const reason = terminated.reason ? ` (${terminated.reason})` : "";
    return `container ${status.name} exited with code ${terminated.exitCode}${reason}`;
  }
  return pod.status?.message ?? pod.status?.reason ?? "the pod failed";
}

function podOutcome(pod: V1Pod): Outcome {
  const phase = pod.status?.phase;
  if (phase === "Succeeded") return { passed: true, detail: "succeeded" };
  return phase === "Failed" ? { passed: false, detail: podFailure(pod) } : null;
}

interface JobStatus {
  conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
}

function jobOutcome(status: JobStatus | undefined): Outcome {
  const condition = (type: string) => status?.conditions?.find((c) => c.type === type && c.status === "True");
  if (condition("Complete")) return { passed: true, detail: "succeeded" };
  const failed = condition("Failed");
  if (!failed) return null;
  return { passed: false, detail: `${failed.reason ?? "Failed"}: ${failed.message ?? "the Job failed"}` };
}

/** A transient read error leaves the test running; a permanent one (403) fails the deploy, as in wait.ts. */
async function refresh(cluster: Cluster, test: Running): Promise<void> {
  const { ref } = test;
  try {
    const header = {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.name, namespace: ref.namespace },
    };
    test.object = (await cluster.objects.read(header)) as Running["object"];
  } catch (error) {
    if (isNotFound(error)) {
      test.outcome = { passed: false, detail: "deleted before it finished" };
      return;
    }
    if (classifyApiError(error, `reading ${describeRef(ref)}`).kind !== "transient") throw error;
    return;
  }
  const status = test.object?.status;
  test.outcome = ref.kind === "Pod" ? podOutcome(test.object as V1Pod) : jobOutcome(status as JobStatus | undefined);
}

/** Why a test that never finished did not: its pod's problems (an image that cannot be pulled) when it has one. */
function unfinished(test: Running, timeoutMs: number): Outcome {
  const problems = test.ref.kind === "Pod" && test.object ? podProblems(test.object as V1Pod).map((p) => p.text) : [];
  const why = problems.length > 0 ? `: ${problems.join("; ")}` : "";
  return { passed: false, detail: `did not finish within ${formatDuration(timeoutMs)}${why}` };
}

/** The pod whose logs tell about a test: the test itself, or a Job's newest pod. */
async function podOf(cluster: Cluster, test: Running): Promise<V1Pod | null> {
  if (test.ref.kind === "Pod") return test.object as V1Pod | null;
  const labelSelector = `job-name=${test.ref.name}`;
  try {
    const pods = await cluster.core.listNamespacedPod({ namespace: test.ref.namespace ?? "", labelSelector });
    const created = (p: V1Pod) => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
    return pods.items.sort((a, b) => created(b) - created(a))[0] ?? null;
  } catch {
    return null; // logs are a courtesy
  }
}

async function logsOf(cluster: Cluster, test: Running): Promise<TestResult["logs"]> {
  const pod = await podOf(cluster, test);
  const name = pod?.metadata?.name;
  if (!pod || !name) return [];
  return mapLimit(pod.spec?.containers ?? [], 4, async ({ name: container }) => {
    const tail = await logTail(cluster, { pod: name, namespace: test.ref.namespace ?? "", container });
    if ("unavailable" in tail) return { container, text: `(logs unavailable: ${tail.unavailable})` };
    return { container, text: tail.lines === "" ? "(the container wrote no log lines)" : tail.lines };
  });
}

async function runGroup(cluster: Cluster, group: readonly PreparedObject[], options: ApplyOptions): Promise<Running[]> {
  await applyObjects(cluster, group, options);
  const tests: Running[] = group
    .map((item) => ({ item, ref: refOf(item.object), object: null, outcome: null }))
    .filter((t) => isTest(t.ref));
  await pollUntil(
    async () => {
      await mapLimit(
        tests.filter((t) => t.outcome === null),
        8,
        (t) => refresh(cluster, t),
      );
      return tests.every((t) => t.outcome !== null);
    },
    { timeoutMs: options.timeoutMs, intervalMs: 1000, signal: options.signal, what: "running the chart's tests" },
  );
  for (const test of tests) test.outcome ??= unfinished(test, options.timeoutMs);
  return tests;
}

/** hook-succeeded and hook-failed, as Helm honours them after `helm test`; the results are already read. */
async function cleanUp(cluster: Cluster, tests: readonly Running[]): Promise<void> {
  const gone = tests.filter((t) => {
    const policies = policiesOf(t.item);
    const passed = t.outcome?.passed === true;
    return (passed && policies.includes("hook-succeeded")) || (!passed && policies.includes("hook-failed"));
  });
  await Promise.all(gone.map((t) => deleteObject(cluster, t.ref)));
}

/**
 * Runs a chart's test hooks as `helm test` does, once the environment is ready: the previous
 * run's objects deleted (a finished pod cannot run again), then weight by weight, each weight's
 * objects applied together and every Pod or Job among them waited for until it ends. A failing
 * test does not stop the rest or fail the deploy: it is reported, with its pod's last log lines.
 */
export async function runTests(
  cluster: Cluster,
  hooks: readonly PreparedObject[],
  options: ApplyOptions,
): Promise<TestResult[]> {
  if (hooks.length === 0) return [];
  const gone = { timeoutMs: options.timeoutMs, signal: options.signal };
  await deleteAndWait(
    cluster,
    hooks.map((h) => refOf(h.object)),
    gone,
  );
  const tests: Running[] = [];
  for (const group of byWeight(hooks)) tests.push(...(await runGroup(cluster, group, options)));
  const logs = await mapLimit(tests, 4, (t) => (t.outcome?.passed ? Promise.resolve([]) : logsOf(cluster, t)));
  await cleanUp(cluster, tests);
  const results = tests.map((t, i) => ({
    ref: t.ref,
    box: t.item.box,
    passed: t.outcome?.passed ?? false,
    detail: t.outcome?.detail ?? "",
    logs: logs[i] ?? [],
  }));
  const failed = results.filter((r) => !r.passed).length;
  options.log.info({ tests: results.length, failed }, "ran the chart's tests");
  return results;
}
