// The readiness rules on their own, for states the test cluster does not reach on demand.
import { describe, expect, it } from "vitest";
import { readinessOf } from "../../../src/cluster/readiness.js";

const deploymentRef = { apiVersion: "apps/v1", kind: "Deployment" };
const statefulSetRef = { apiVersion: "apps/v1", kind: "StatefulSet" };
const jobRef = { apiVersion: "batch/v1", kind: "Job" };

describe("readiness rules", () => {
  it("treats a Deployment whose new spec the controller has not seen yet as pending, whatever its replicas say", () => {
    const stale = {
      metadata: { generation: 3 },
      spec: { replicas: 1 },
      status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
    };
    expect(readinessOf(deploymentRef, stale).state).toBe("pending");
  });

  it("waits for a Deployment's old replicas to terminate", () => {
    const rolling = {
      metadata: { generation: 2 },
      spec: { replicas: 2 },
      status: { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 },
    };
    expect(readinessOf(deploymentRef, rolling)).toEqual({
      state: "pending",
      reason: "1 old replicas pending termination",
    });
  });

  it("counts a paused Deployment as ready: it will not progress until someone resumes it", () => {
    expect(readinessOf(deploymentRef, { metadata: { generation: 5 }, spec: { paused: true } }).state).toBe("ready");
  });

  it("counts a StatefulSet rolled out up to its partition as ready", () => {
    const partitioned = {
      metadata: { generation: 2 },
      spec: { replicas: 3, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } },
      status: {
        observedGeneration: 2,
        readyReplicas: 3,
        updatedReplicas: 1,
        currentRevision: "a",
        updateRevision: "b",
      },
    };
    expect(readinessOf(statefulSetRef, partitioned).state).toBe("ready");
  });

  it("waits for a StatefulSet whose pods still run the previous revision", () => {
    const rolling = {
      metadata: { generation: 2 },
      spec: { replicas: 2 },
      status: { observedGeneration: 2, readyReplicas: 2, currentRevision: "a", updateRevision: "b" },
    };
    expect(readinessOf(statefulSetRef, rolling)).toEqual({ state: "pending", reason: "rolling update in progress" });
  });

  it("fails a Job whose Failed condition is true, with the controller's reason", () => {
    const failed = {
      status: {
        conditions: [
          {
            type: "Failed",
            status: "True",
            reason: "BackoffLimitExceeded",
            message: "Job has reached the specified backoff limit",
          },
        ],
      },
    };
    expect(readinessOf(jobRef, failed)).toEqual({
      state: "failed",
      reason: "BackoffLimitExceeded: Job has reached the specified backoff limit",
    });
  });

  it("counts kinds without a rollout as ready", () => {
    expect(readinessOf({ apiVersion: "v1", kind: "Service" }, {}).state).toBe("ready");
  });
});
