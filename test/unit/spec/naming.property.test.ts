// Properties of generated names (docs/adr/0004-names.md) over generated repository names,
// branches and spec namespaces: valid, deterministic, readable, and distinct where the ADR says so.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dnsLabel,
  isDnsLabel,
  MAX_LABEL,
  prEnvironmentId,
  prNamespace,
  prRepoNamespace,
  prSpecNamespace,
  readableSlug,
  slugify,
} from "../../../src/spec/naming.js";

const RUNS = { numRuns: 1000, seed: 6_2026 };

/** Names as people write them: separators, case, accents, emoji, and sometimes very long. */
const word = fc.stringMatching(/^[A-Za-z0-9]{1,12}$/);
const separator = fc.constantFrom("/", ".", "_", "-", " ", "--", "/.", "ü", "🚀", "ß");
const humanName = fc
  .tuple(word, fc.array(fc.tuple(separator, word), { maxLength: 12 }))
  .map(([first, rest]) => first + rest.map(([sep, w]) => sep + w).join(""));
const anyName = fc.oneof(
  humanName,
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 80 }),
);
const owner = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/);
const project = fc.stringMatching(/^[A-Za-z0-9._-]{1,100}$/);
/** owner/name on GitHub, group/subgroup/project on GitLab: always at least one slash. */
const repository = fc
  .tuple(owner, fc.array(owner, { maxLength: 2 }), project)
  .map(([o, groups, p]) => [o, ...groups, p].join("/"));
const prNumber = fc.integer({ min: 1, max: 2 ** 31 });
const forge = fc.constantFrom("github", "gitlab");

describe("generated names, for any input", () => {
  it("are valid DNS-1123 labels of at most 63 characters", () => {
    fc.assert(
      fc.property(anyName, prNumber, forge, (name, pr, f) => {
        for (const label of [prNamespace(name, pr), prEnvironmentId(f, name, pr), readableSlug(name), dnsLabel(name)]) {
          expect(isDnsLabel(label), `${JSON.stringify(name)} → ${label}`).toBe(true);
          expect(label.length).toBeLessThanOrEqual(MAX_LABEL);
        }
      }),
      RUNS,
    );
  });

  it("are deterministic and ignore case, as repository and branch names do", () => {
    fc.assert(
      fc.property(anyName, prNumber, (name, pr) => {
        expect(prNamespace(name, pr)).toBe(prNamespace(name, pr));
        expect(prNamespace(name.toUpperCase(), pr)).toBe(prNamespace(name.toLowerCase().toUpperCase(), pr));
        expect(readableSlug(name)).toBe(readableSlug(name));
      }),
      RUNS,
    );
  });

  it("end with -pr-<N>, so two pull requests never share a namespace", () => {
    fc.assert(
      fc.property(anyName, prNumber, prNumber, (name, a, b) => {
        expect(prNamespace(name, a).endsWith(`-pr-${a}`)).toBe(true);
        expect(prNamespace(name, a) === prNamespace(name, b)).toBe(a === b);
      }),
      RUNS,
    );
  });

  it("a spec's namespace expression, whatever it gives (another PR's namespace included), is a valid label ending in this PR's own suffix", () => {
    const written = fc.oneof(
      anyName,
      fc.tuple(anyName, prNumber).map(([name, n]) => `${name}-pr-${n}`),
    );
    fc.assert(
      fc.property(written, prNumber, (name, pr) => {
        const namespace = prSpecNamespace(name, pr);
        expect(isDnsLabel(namespace), `${JSON.stringify(name)} → ${namespace}`).toBe(true);
        expect(namespace.endsWith(`-pr-${pr}`)).toBe(true);
        // The suffix is parsed back unambiguously: the digits after the last "-pr-" are this PR's.
        expect(/-pr-(\d+)$/.exec(namespace)?.[1]).toBe(String(pr));
      }),
      RUNS,
    );
  });

  it("stay readable: the slug, unhashed, when nothing was lost; its start and a hash when something was", () => {
    fc.assert(
      fc.property(anyName, prNumber, (name, pr) => {
        const label = prNamespace(name, pr);
        const slug = slugify(name);
        const lossless = slug === name.toLowerCase() && slug.length > 0 && `${slug}-pr-${pr}`.length <= MAX_LABEL;
        if (lossless) expect(label).toBe(`${slug}-pr-${pr}`);
        else expect(label).toMatch(new RegExp(`^(?:[a-z0-9-]*-)?[0-9a-f]{6}-pr-${pr}$`));
        const readable = label.slice(0, label.length - `-pr-${pr}`.length).replace(/-?[0-9a-f]{6}$/, "");
        if (!lossless) expect(slug.startsWith(readable)).toBe(true);
      }),
      RUNS,
    );
  });

  // ADR 4's claim: inputs that slug alike, or share the part that survives truncation, still get
  // different names. Generated pairs are built to collide without the hash.
  it("give distinct repositories distinct environment ids and namespaces, even when their slugs agree", () => {
    const alike = fc
      .tuple(repository, separator, separator)
      .map(([repo, a, b]) => [repo.replace(/\//, a), repo.replace(/\//, b)]);
    const longAlike = fc
      .tuple(owner, fc.stringMatching(/^[a-z]{80,120}$/), word, word)
      .map(([o, shared, x, y]) => [`${o}/${shared}${x}`, `${o}/${shared}${y}`]);
    const pairs = fc.oneof(fc.tuple(repository, repository), alike, longAlike);
    fc.assert(
      fc.property(pairs, prNumber, forge, ([a, b], pr, f) => {
        fc.pre(a.toLowerCase() !== b.toLowerCase());
        expect(prEnvironmentId(f, a, pr)).not.toBe(prEnvironmentId(f, b, pr));
        expect(prNamespace(a, pr)).not.toBe(prNamespace(b, pr));
      }),
      RUNS,
    );
  });

  it("give a pull request of one repository different environment ids on GitHub and on GitLab", () => {
    fc.assert(
      fc.property(repository, prNumber, (repo, pr) => {
        expect(prEnvironmentId("github", repo, pr)).not.toBe(prEnvironmentId("gitlab", repo, pr));
      }),
      RUNS,
    );
  });
});

describe("the names of existing environments", () => {
  // A change here would orphan every live namespace (prbox would no longer find what it deployed):
  // the formula is pinned, not only its shape. (The default namespace took the forge into its hash
  // before the first release, ADR 4; from now on it stays.)
  it("stay what they were: <slug>-<sha256(lower-case repo \\0 pr-N)[0:6]>-pr-<N>", () => {
    const hash = (input: string) => createHash("sha256").update(input).digest("hex").slice(0, 6);
    fc.assert(
      fc.property(fc.constantFrom("acme/shop", "Acme/Shop-API", "group/sub/project.web"), prNumber, (repo, pr) => {
        const slug = slugify(repo);
        expect(prNamespace(repo, pr)).toBe(`${slug}-${hash(`${repo.toLowerCase()}\u0000pr-${pr}`)}-pr-${pr}`);
        expect(prRepoNamespace("gitlab", repo, pr)).toBe(
          `${slug}-${hash(`gitlab\u0000${repo.toLowerCase()}\u0000pr-${pr}`)}-pr-${pr}`,
        );
        expect(prEnvironmentId("github", repo, pr)).toBe(
          `github-${slug}-${hash(`github-${repo.toLowerCase()}\u0000pr-${pr}`)}-pr-${pr}`,
        );
      }),
      { ...RUNS, numRuns: 100 },
    );
    expect(prNamespace("acme/shop", 42)).toBe("acme-shop-b2191f-pr-42");
    expect(prRepoNamespace("github", "acme/shop", 42)).toBe("acme-shop-e5d263-pr-42");
    expect(prEnvironmentId("github", "acme/shop", 42)).toBe("github-acme-shop-387008-pr-42");
  });
});

describe("the default namespace of a pull request", () => {
  it("differs between forges, so a GitHub repository and its GitLab mirror never share one", () => {
    fc.assert(
      fc.property(repository, prNumber, (repo, pr) => {
        const github = prRepoNamespace("github", repo, pr);
        const gitlab = prRepoNamespace("gitlab", repo, pr);
        expect(isDnsLabel(github) && isDnsLabel(gitlab)).toBe(true);
        expect(github).not.toBe(gitlab);
        expect(github.endsWith(`-pr-${pr}`)).toBe(true);
      }),
      RUNS,
    );
  });
});
