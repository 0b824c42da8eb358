// The one rule for "retry or give up" (src/retry.ts), as a table. Reconcile (what the PR is told)
// and the queue (whether the job runs again) both ask it.
import { describe, expect, it } from "vitest";
import { ClusterError, NotReadyError, PrboxError, SpecError } from "../../src/errors.js";
import { mayRetry } from "../../src/retry.js";

describe("mayRetry", () => {
  it.each([
    [
      "a transient error (API server down, 503, Redis away)",
      new ClusterError("cannot reach the Kubernetes API", { kind: "transient" }),
      true,
    ],
    ["a permanent error (the input is wrong)", new SpecError("environment.toml:3:7: unknown variable"), false],
    ["a rejected manifest (422)", new ClusterError("ConfigMap settings: invalid key", { kind: "permanent" }), false],
    [
      "an internal error (a bug: retrying does not fix it)",
      new PrboxError("the record at Redis key x is not JSON", { kind: "internal" }),
      false,
    ],
    ["workloads not ready within the timeout", new NotReadyError("deployment/api did not become ready", []), false],
    [
      "workloads not ready, even marked transient",
      new NotReadyError("deployment/api did not become ready", [], { kind: "transient" }),
      false,
    ],
    ["an unclassified library error (fetch failed)", new TypeError("fetch failed"), true],
    ["something thrown that is no error", "boom", true],
  ] as const)("%s → %s", (_name, error, retry) => {
    expect(mayRetry(error)).toBe(retry);
  });
});
