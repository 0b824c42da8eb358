// What a preview requests, and what that costs a day (src/core/cost.ts). Pure.
import { describe, expect, it } from "vitest";
import { costLine, quantity, requestsOf } from "../../../src/core/cost.js";
import type { KubeObject, RenderedObject } from "../../../src/model.js";

const rendered = (object: KubeObject, phase: RenderedObject["phase"] = "main"): RenderedObject => ({
  object,
  box: "b",
  source: "b.yaml",
  phase,
  deletePolicies: [],
});
const container = (requests?: Record<string, string>) => ({ name: "c", image: "i", resources: { requests } });
const workload = (kind: string, replicas: number | undefined, containers: unknown[]): KubeObject => ({
  apiVersion: "apps/v1",
  kind,
  metadata: { name: kind.toLowerCase() },
  spec: { ...(replicas === undefined ? {} : { replicas }), template: { spec: { containers } } },
});

describe("requests and cost", () => {
  it("reads Kubernetes quantities", () => {
    expect(quantity("250m")).toBe(0.25);
    expect(quantity("2")).toBe(2);
    expect(quantity("1.5")).toBe(1.5);
    expect(quantity("512Mi")).toBe(512 * 1024 ** 2);
    expect(quantity("1G")).toBe(1e9);
    expect(quantity(".5")).toBe(0.5);
    expect(quantity("1e3")).toBe(1000);
    expect(quantity("2Ei")).toBe(2 * 1024 ** 6);
    expect(quantity("lots")).toBeNull();
    expect(quantity(undefined)).toBeNull();
  });

  it("sums containers × replicas of running workloads, counts a missing request at the default, and leaves Jobs and hooks out", () => {
    const requests = requestsOf(
      [
        rendered(
          workload("Deployment", 3, [
            container({ cpu: "500m", memory: "1Gi" }),
            container({ cpu: "100m", memory: "64Mi" }),
          ]),
        ),
        rendered(workload("StatefulSet", undefined, [container()])),
        rendered({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "p" },
          spec: { containers: [container({ cpu: "1", memory: "2Gi" })] },
        }),
        rendered(workload("Job", 1, [container({ cpu: "8", memory: "16Gi" })])),
        rendered(workload("Deployment", 5, [container({ cpu: "8", memory: "16Gi" })]), "pre"),
        rendered({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }),
      ],
      { cpu: "100m", memory: "128Mi" },
    );
    // 3 × (0.5 + 0.1) + 1 × 0.1 (default) + 1 = 2.9 CPU; 3 × (1024 + 64) + 128 + 2048 MiB = 5440 MiB.
    expect(requests.cpu).toBeCloseTo(2.9, 10);
    expect(requests.bytes).toBe(5440 * 1024 ** 2);
    expect(requests).toMatchObject({ pods: 5, defaulted: 1 });
  });

  it("says the requests, and with prices an estimate per day", () => {
    const requests = { cpu: 2.9, bytes: 5440 * 1024 ** 2, pods: 5, defaulted: 1 };
    expect(costLine(requests, null)).toBe(
      "2.9 CPU and 5.31 GiB requested by 5 pods (1 container without requests counted at the namespace's default)",
    );
    // 24 × (2.9 × 0.0316 + 5.3125 × 0.0042) = 24 × (0.09164 + 0.0223125) = 2.734860
    expect(costLine({ ...requests, defaulted: 0 }, { cpuHour: 0.0316, gibHour: 0.0042, currency: "€" })).toBe(
      "2.9 CPU and 5.31 GiB requested by 5 pods, about €2.73 a day (at €0.0316 per CPU-hour and €0.0042 per GiB-hour)",
    );
  });
});
