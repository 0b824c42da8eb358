// PRBOX_BOX_REPOSITORIES: which repositories' previews may take boxes from which (core/box-sources.ts).
import { describe, expect, it } from "vitest";
import { boxRepositoryAllowed } from "../../../src/core/box-sources.js";

describe("PRBOX_BOX_REPOSITORIES", () => {
  it("allows nothing when empty", () => {
    expect(boxRepositoryAllowed([], "acme/frontend", "acme/api")).toBe(false);
  });

  it("matches FROM:TO with one segment per `*` and any with `**`, regardless of case", () => {
    const rules = ["acme/frontend:acme/api", "acme/*:acme/worker", "platform/**:platform/charts/**"];
    expect(boxRepositoryAllowed(rules, "acme/frontend", "acme/api")).toBe(true);
    expect(boxRepositoryAllowed(rules, "Acme/Frontend", "ACME/api")).toBe(true);
    expect(boxRepositoryAllowed(rules, "acme/shop", "acme/api")).toBe(false);
    expect(boxRepositoryAllowed(rules, "acme/shop", "acme/worker")).toBe(true);
    expect(boxRepositoryAllowed(rules, "acme/team/shop", "acme/worker")).toBe(false);
    expect(boxRepositoryAllowed(rules, "platform/team/web", "platform/charts/base/api")).toBe(true);
    expect(boxRepositoryAllowed(rules, "platform/web", "platform/secret")).toBe(false);
  });

  it("takes TO alone for every repository's previews", () => {
    expect(boxRepositoryAllowed(["acme/api"], "acme/frontend", "acme/api")).toBe(true);
    expect(boxRepositoryAllowed(["acme/api"], "other/app", "acme/api")).toBe(true);
    expect(boxRepositoryAllowed(["acme/api"], "acme/frontend", "acme/api-secrets")).toBe(false);
  });
});
