// The prbox.dev/kinds annotation: the prune inventory other prbox versions read back.
import { describe, expect, it } from "vitest";
import { formatKinds, parseKinds, unionKinds } from "../../../src/cluster/kinds.js";

describe("the kinds record", () => {
  it("reads back what it writes, core and named groups alike", () => {
    const kinds = [
      { apiVersion: "apps/v1", kind: "Deployment" },
      { apiVersion: "v1", kind: "ConfigMap" },
    ];
    expect(formatKinds(kinds)).toBe("apps/v1/Deployment,v1/ConfigMap");
    expect(parseKinds(formatKinds(kinds))).toEqual(kinds);
  });

  it("unites by group and kind, keeping the newer apiVersion when a chart moves to another version", () => {
    const older = [
      { apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler" },
      { apiVersion: "v1", kind: "Secret" },
    ];
    const newer = [{ apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler" }];
    expect(unionKinds(older, newer)).toEqual([
      { apiVersion: "v1", kind: "Secret" },
      { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler" },
    ]);
  });

  it("ignores entries it did not write instead of guessing", () => {
    expect(parseKinds("Deployment, v1/ConfigMap ,")).toEqual([{ apiVersion: "v1", kind: "ConfigMap" }]);
  });
});
