import { describe, expect, it } from "vitest";
import { collectorSettings } from "../../../src/render/helm.js";

describe("Go's collector settings for helm", () => {
  it("collects less often, and hard below the memory limit prbox kills helm at", () => {
    expect(collectorSettings(1024)).toEqual({ GOGC: "400", GOMEMLIMIT: "768MiB" });
    expect(collectorSettings(100)).toEqual({ GOGC: "400", GOMEMLIMIT: "75MiB" });
  });

  it("leaves Go's defaults when the memory is not watched (PRBOX_RENDER_MEMORY_MB=0)", () => {
    expect(collectorSettings(0)).toEqual({});
  });
});
