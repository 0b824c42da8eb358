import type { Prices } from "../config/schema-types.js";
import type { KubeObject, RenderedObject } from "../model.js";

/**
 * What an environment asks of the cluster (issue: previews that cost nothing while nobody looks):
 * the CPU and memory its running workloads request, summed over containers × replicas, and with
 * the operator's prices an estimate per day. Pure.
 */
export interface Requests {
  /** Cores. */
  cpu: number;
  bytes: number;
  pods: number;
  /** Containers without a request of their own, counted at the namespace's default request. */
  defaulted: number;
}

const GIB = 1024 ** 3;
const SUFFIXES: Record<string, number> = {
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: GIB,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/**
 * A Kubernetes quantity ("250m", "1.5", ".5", "512Mi", "2Gi", "1e3") as a number; null when it is
 * none. The grammar config/baseline.ts checks the operator's quantities with.
 */
export function quantity(text: unknown): number | null {
  const match = /^(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/.exec(
    String(text ?? "").trim(),
  );
  if (!match?.[1]) return null;
  const number = Number(match[1] + (match[2] ?? ""));
  return number * (SUFFIXES[match[3] ?? ""] ?? 1);
}

interface Container {
  resources?: { requests?: Record<string, unknown> };
}

/** Running pods and their template; Jobs and CronJobs finish, so they are not counted. */
function podsOf(object: KubeObject): { replicas: number; containers: Container[] } | null {
  const spec = (object.spec ?? {}) as {
    replicas?: unknown;
    template?: { spec?: { containers?: Container[] } };
    containers?: Container[];
  };
  switch (object.kind) {
    case "Deployment":
    case "StatefulSet":
    case "ReplicaSet": {
      const replicas = typeof spec.replicas === "number" ? spec.replicas : 1;
      return { replicas, containers: spec.template?.spec?.containers ?? [] };
    }
    case "DaemonSet":
      return { replicas: 1, containers: spec.template?.spec?.containers ?? [] };
    case "Pod":
      return { replicas: 1, containers: spec.containers ?? [] };
    default:
      return null;
  }
}

/** Sums the requests; a container without one counts at `defaults` (the LimitRange's defaultRequest). */
export function requestsOf(objects: readonly RenderedObject[], defaults: Record<string, string> = {}): Requests {
  const sum: Requests = { cpu: 0, bytes: 0, pods: 0, defaulted: 0 };
  for (const { object, phase } of objects) {
    const pods = phase === "main" ? podsOf(object) : null;
    if (!pods) continue;
    sum.pods += pods.replicas;
    for (const container of pods.containers) {
      const requests = container.resources?.requests ?? {};
      const cpu = quantity(requests.cpu);
      const bytes = quantity(requests.memory);
      if (cpu === null || bytes === null) sum.defaulted += pods.replicas;
      sum.cpu += pods.replicas * (cpu ?? quantity(defaults.cpu) ?? 0);
      sum.bytes += pods.replicas * (bytes ?? quantity(defaults.memory) ?? 0);
    }
  }
  return sum;
}

const money = (amount: number, currency: string) => `${currency}${amount < 10 ? amount.toFixed(2) : amount.toFixed(0)}`;

/** "1.25 CPU and 2.5 GiB requested by 4 pods, about $1.02 a day (at $0.0316 per CPU-hour and $0.0042 per GiB-hour)". */
export function costLine(requests: Requests, prices: Prices | null): string {
  const cpu = `${Number(requests.cpu.toFixed(2))} CPU`;
  const memory = `${Number((requests.bytes / GIB).toFixed(2))} GiB`;
  const pods = `${requests.pods} ${requests.pods === 1 ? "pod" : "pods"}`;
  const defaulted =
    requests.defaulted > 0
      ? ` (${requests.defaulted} ${requests.defaulted === 1 ? "container" : "containers"} without requests counted at the namespace's default)`
      : "";
  const line = `${cpu} and ${memory} requested by ${pods}${defaulted}`;
  if (!prices) return line;
  const perDay = 24 * (requests.cpu * prices.cpuHour + (requests.bytes / GIB) * prices.gibHour);
  return `${line}, about ${money(perDay, prices.currency)} a day (at ${prices.currency}${prices.cpuHour} per CPU-hour and ${prices.currency}${prices.gibHour} per GiB-hour)`;
}
