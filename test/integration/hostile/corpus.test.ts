// The hostile corpus (issue #12): specs a hostile pull request could push, each in cases/<name>/
// with a case.json saying what must happen. They render on the path the bot takes (renderSpec in
// PR mode, as src/core/reconcile.ts calls it), and each must be refused with its message before
// anything reaches a cluster; "accept" cases keep the rules from refusing what is fine.
// Add a case for every new hole found.
import { cp, mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderSpec } from "../../../src/core/render-spec.js";
import { PrboxError } from "../../../src/errors.js";
import type { PrContext } from "../../../src/model.js";
import { DEFAULT_RENDER_POLICY, type RenderPolicy } from "../../../src/spec/context.js";
import { PR, tempRepo } from "../../support/repo.js";

interface Case {
  /** The class of issue #12 it belongs to, e.g. "4 rbac". */
  class: string;
  /** What the attack tries. */
  attack: string;
  /** A fragment of the refusal's message; absent in an "accept" case. */
  refused?: string;
  /** An "accept" case: the rendered environment's namespace (it must render). */
  accepted?: { namespace?: string; objects?: number };
  /** The operator's settings beyond the defaults. */
  policy?: Partial<RenderPolicy>;
  /** The pull request, beyond the default PR 42 of acme/shop on feature/login. */
  pr?: Partial<PrContext>;
  /** Symlinks to create in the sources: path → target. */
  links?: Record<string, string>;
  /** Files written outside the sources (next to them), to prove they are never read. */
  outside?: Record<string, string>;
}

const casesDir = path.join(import.meta.dirname, "cases");
const names = (await readdir(casesDir)).sort();

async function load(name: string): Promise<{ spec: Case; root: string; outside: string }> {
  const spec = JSON.parse(await readFile(path.join(casesDir, name, "case.json"), "utf8")) as Case;
  const base = await tempRepo({});
  const root = path.join(base, "repo");
  const outside = path.join(base, "outside");
  await cp(path.join(casesDir, name), root, { recursive: true, filter: (src) => path.basename(src) !== "case.json" });
  for (const [file, content] of Object.entries(spec.outside ?? {})) {
    await mkdir(path.dirname(path.join(outside, file)), { recursive: true });
    await writeFile(path.join(outside, file), content);
  }
  for (const [link, target] of Object.entries(spec.links ?? {})) {
    await mkdir(path.dirname(path.join(root, link)), { recursive: true });
    await symlink(target.replace("{outside}", outside), path.join(root, link));
  }
  return { spec, root, outside };
}

describe("the hostile corpus, rendered as the bot renders a pull request", () => {
  it("has cases", () => {
    expect(names.length).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(name, async () => {
      const { spec, root } = await load(name);
      const pr = { ...PR, ...spec.pr };
      const render = renderSpec({
        file: "environment.toml",
        root,
        pr,
        policy: { ...DEFAULT_RENDER_POLICY, ...spec.policy },
      });
      if (spec.refused === undefined) {
        const rendered = await render;
        if (spec.accepted?.namespace) expect(rendered.environment.namespace).toBe(spec.accepted.namespace);
        if (spec.accepted?.objects !== undefined) expect(rendered.objects).toHaveLength(spec.accepted.objects);
        return;
      }
      const error = await render.then(
        (rendered) =>
          new Error(
            `rendered ${rendered.objects.length} objects into ${rendered.environment.namespace}; expected the refusal "${spec.refused}"`,
          ),
        (caught: unknown) => caught as Error,
      );
      expect(error, spec.attack).toBeInstanceOf(PrboxError);
      expect(error.message, spec.attack).toContain(spec.refused);
      expect((error as PrboxError).kind).toBe("permanent");
      // What lies outside the sources is never read into the answer either.
      for (const content of Object.values(spec.outside ?? {}))
        expect(JSON.stringify({ message: error.message, hint: (error as PrboxError).hint })).not.toContain(
          content.trim(),
        );
    });
  }
});
