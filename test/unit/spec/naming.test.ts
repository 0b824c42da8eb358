import { describe, expect, it } from "vitest";
import {
  dnsLabel,
  isDnsLabel,
  prEnvironmentId,
  prNamespace,
  prSpecNamespace,
  readableSlug,
  slugify,
} from "../../../src/spec/naming.js";

const awkward = [
  "feature/login",
  "feature-login",
  "Feature/Login",
  "feature.login",
  "FEATURE_LOGIN",
  "größe/übung",
  "日本語のブランチ",
  "🚀-release",
  "release/2026.11/hotfix",
  "a".repeat(200),
  "a".repeat(199) + "b",
  "dependabot/npm_and_yarn/packages/web/@types/node-24.10.1",
  "---",
  "",
];

describe("names", () => {
  it("turns long, unicode and slash-filled names into valid DNS-1123 labels of at most 63 characters", () => {
    for (const name of awkward) {
      const label = prNamespace(name, 12345);
      expect(isDnsLabel(label), `${JSON.stringify(name)} → ${label}`).toBe(true);
      expect(label.length).toBeLessThanOrEqual(63);
      expect(label.endsWith("-pr-12345")).toBe(true);
    }
  });

  it("gives distinct names to distinct inputs, case aside", () => {
    const labels = awkward.map((name) => prNamespace(name, 7));
    const distinctInputs = new Set(awkward.map((n) => n.toLowerCase()));
    expect(new Set(labels).size).toBe(distinctInputs.size);
  });

  it("is deterministic", () => {
    for (const name of awkward) expect(prNamespace(name, 3)).toBe(prNamespace(name, 3));
  });

  it("keeps plain names readable and unhashed", () => {
    expect(prNamespace("shop", 42)).toBe("shop-pr-42");
    expect(dnsLabel("Shop")).toBe("shop");
  });

  it("keeps a readable prefix when it has to truncate", () => {
    const label = prNamespace(`checkout-${"x".repeat(100)}`, 9);
    expect(label).toMatch(/^checkout-x+-[0-9a-f]{6}-pr-9$/);
    expect(label).toHaveLength(63);
  });

  it("never lets two PRs of one repository share a namespace", () => {
    expect(prNamespace("shop", 1)).not.toBe(prNamespace("shop", 11));
    expect(prEnvironmentId("github", "acme/shop", 1)).not.toBe(prEnvironmentId("gitlab", "acme/shop", 1));
  });

  it("slugs branches like GitLab's CI_COMMIT_REF_SLUG", () => {
    expect(readableSlug("Feature/Login-Page")).toBe("feature-login-page");
    expect(readableSlug("a".repeat(80))).toMatch(/^a+-[0-9a-f]{6}$/);
    expect(slugify("größe")).toBe("grosse");
  });
});

describe("prSpecNamespace", () => {
  it("keeps a name that already ends in the PR's own number or suffix, and suffixes anything else", () => {
    expect(prSpecNamespace("preview-42", 42)).toBe("preview-pr-42");
    expect(prSpecNamespace("preview-pr-42", 42)).toBe("preview-pr-42");
    expect(prSpecNamespace("preview-41", 42)).toBe("preview-41-pr-42");
    expect(prSpecNamespace("kube-system-42", 42)).toBe("kube-system-pr-42");
  });
});
