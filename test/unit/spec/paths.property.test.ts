// Properties of path resolution (src/spec/paths.ts) over generated paths made of `..`, `.`,
// symlinks that stay inside or lead out, and absolute paths: a spec never reads outside its sources.
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpecError } from "../../../src/errors.js";
import { resolveInside, sourceTree, type SourceTree } from "../../../src/spec/paths.js";

/**
 * <top>/repo is the sources; <top>/outside holds what a spec must not read.
 * repo/a/b/file, repo/..a/file (a directory whose name starts with two dots), repo/a/in → a/b,
 * repo/a/out → <top>/outside, repo/up → .., repo/a/b/deep-out → ../../../outside/secret, repo/loop → loop.
 */
let top: string;
let tree: SourceTree;

beforeAll(async () => {
  top = await realpath(await mkdtemp(path.join(os.tmpdir(), "prbox-paths-")));
  const repo = path.join(top, "repo");
  await mkdir(path.join(repo, "a", "b"), { recursive: true });
  await mkdir(path.join(repo, "..a"), { recursive: true });
  await mkdir(path.join(top, "outside"), { recursive: true });
  await writeFile(path.join(top, "outside", "secret"), "secret");
  await writeFile(path.join(repo, "a", "b", "file"), "in");
  await writeFile(path.join(repo, "..a", "file"), "in");
  await symlink(path.join(repo, "a", "b"), path.join(repo, "a", "in"));
  await symlink(path.join(top, "outside"), path.join(repo, "a", "out"));
  await symlink("..", path.join(repo, "up"));
  await symlink("../../../outside/secret", path.join(repo, "a", "b", "deep-out"));
  await symlink("loop", path.join(repo, "loop"));
  tree = await sourceTree(repo);
});

afterAll(async () => {
  await rm(top, { recursive: true, force: true });
});

const component = fc.constantFrom(
  "a",
  "b",
  "..",
  ".",
  "",
  "in",
  "out",
  "up",
  "file",
  "secret",
  "deep-out",
  "outside",
  "repo",
  "..a",
  "loop",
  "missing",
);
const relative = fc.array(component, { minLength: 1, maxLength: 8 }).map((parts) => parts.join("/"));
const candidate = fc.oneof(
  relative,
  relative.map((rel) => `${top}/repo/${rel}`),
  relative.map((rel) => `${top}/${rel}`),
  fc.constantFrom("/etc/hostname", "/", "/proc/self/environ"),
);
const base = fc.constantFrom("", "a", "a/b", "..a");

/** Where `value` really leads, as the operating system sees it, or null when nothing is there. */
async function realTarget(from: string, value: string): Promise<string | null> {
  return realpath(path.resolve(from, value)).catch(() => null);
}

function isInside(root: string, file: string): boolean {
  return file === root || file.startsWith(`${root}${path.sep}`);
}

describe("resolving a spec's paths, for any path", () => {
  it("never returns a file outside the sources, and refuses with a SpecError, never anything else", async () => {
    await fc.assert(
      fc.asyncProperty(candidate, base, async (value, dir) => {
        const from = path.join(tree.root, dir);
        const request = {
          value,
          base: from,
          field: "boxes[0].values",
          location: { file: "environment.toml", line: 3 },
        };
        const outcome = await resolveInside(tree, request).then(
          (file) => ({ file }),
          (error: unknown) => ({ error }),
        );
        if ("error" in outcome) {
          expect(outcome.error, String(outcome.error)).toBeInstanceOf(SpecError);
          expect((outcome.error as SpecError).location).toEqual(request.location);
          // The message may repeat the path as written, but adds nothing of the machine's layout.
          if (!value.includes(top)) expect((outcome.error as SpecError).message).not.toContain(top);
          return;
        }
        expect(isInside(tree.root, outcome.file), `${value} from ${dir} → ${outcome.file}`).toBe(true);
        expect(outcome.file).toBe(await realTarget(from, value));
      }),
      { seed: 6_2026, numRuns: 1500 },
    );
  });

  it("accepts every path that is written inside the sources and leads to a file inside them", async () => {
    await fc.assert(
      fc.asyncProperty(relative, base, async (value, dir) => {
        const from = path.join(tree.root, dir);
        const written = path.resolve(from, value);
        const target = await realTarget(from, value);
        fc.pre(isInside(tree.root, written) && target !== null && isInside(tree.root, target));
        const request = { value, base: from, field: "boxes[0].values", location: { file: "environment.toml" } };
        await expect(resolveInside(tree, request)).resolves.toBe(target);
      }),
      { seed: 6_2026, numRuns: 1500 },
    );
  });
});
