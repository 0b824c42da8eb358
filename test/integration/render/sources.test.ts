// Boxes from another repository (issue 18): a box's `repository` (and `ref`) puts its chart,
// values and applications in that repository's sources, given here as local checkouts (what the
// CLI's --source passes; the bot fetches them through the forge, test/e2e). Real helm throughout.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderSpec } from "../../../src/core/render-spec.js";
import { PrboxError, SpecError } from "../../../src/errors.js";
import type { FetchSources } from "../../../src/spec/sources.js";
import { configMapChart, PR, tempRepo } from "../../support/repo.js";

/** Checkouts by repository; records every request, so a test sees one fetch per repository and ref. */
function checkouts(dirs: Record<string, string>): { fetch: FetchSources; asked: string[] } {
  const asked: string[] = [];
  const fetch: FetchSources = async ({ repository, ref }) => {
    asked.push(`${repository}@${ref ?? "default"}`);
    const root = dirs[repository];
    if (root === undefined) throw new PrboxError(`${repository} not found`);
    return { root, commit: "c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffe" };
  };
  return { fetch, asked };
}

const spec = (box: string) => `id = "shop"\n[[boxes]]\ntype = "helm"\nname = "api"\n${box}\n`;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error("expected the render to fail");
    },
    (error: Error) => error,
  );
}

describe("a box from another repository", () => {
  it("renders that repository's chart with values from either repository, and records where it came from", async () => {
    const api = await tempRepo({
      ...configMapChart,
      "chart/values-preview.yaml": "greeting: from the api repository\n",
    });
    const frontend = await tempRepo({
      "preview/api-values.yaml": "greeting: from the pull request\n",
      "environment.toml": spec(
        'repository = "acme/api"\nref = "release/1.2"\nchart = "chart"\nvalues = "chart/values-preview.yaml"',
      ),
    });
    const { fetch, asked } = checkouts({ "acme/api": api });

    const rendered = await renderSpec({ file: "environment.toml", root: frontend, env: {}, fetchSources: fetch });
    expect(
      rendered.objects.map((o) => [o.object.metadata.name, o.source, (o.object.data as { greeting: string }).greeting]),
    ).toEqual([["api-config", "acme/api:chart/templates/configmap.yaml", "from the api repository"]]);
    expect(rendered.sources).toEqual([
      { box: "api", repository: "acme/api", ref: "release/1.2", commit: "c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffe" },
    ]);
    expect(asked).toEqual(["acme/api@release/1.2"]);

    // ${PWD} stays the pull request's repository: its own values for the other chart.
    await tempRepoSpec(
      frontend,
      spec('repository = "acme/api"\nchart = "chart"\nvalues = "${PWD}/preview/api-values.yaml"'),
    );
    const own = await renderSpec({ file: "environment.toml", root: frontend, env: {}, fetchSources: fetch });
    expect((own.objects[0]?.object.data as { greeting: string }).greeting).toBe("from the pull request");
  });

  it("fetches a repository once for all its boxes at one ref, and says so in PR mode too", async () => {
    const api = await tempRepo({ ...configMapChart });
    const frontend = await tempRepo({
      "environment.toml": [
        '[[boxes]]\ntype = "helm"\nname = "api"\nrepository = "acme/api"\nchart = "chart"',
        '[[boxes]]\ntype = "helm"\nname = "api-two"\nrepository = "acme/api"\nchart = "chart"',
        "",
      ].join("\n"),
    });
    const { fetch, asked } = checkouts({ "acme/api": api });
    const rendered = await renderSpec({ file: "environment.toml", root: frontend, pr: PR, fetchSources: fetch });
    expect(rendered.objects.map((o) => o.object.metadata.name).sort()).toEqual(["api-config", "api-two-config"]);
    expect(asked).toEqual(["acme/api@default"]);
  });

  it("refuses a path that leaves the other repository's sources, naming it", async () => {
    const api = await tempRepo({ ...configMapChart });
    const frontend = await tempRepo({
      ...configMapChart,
      "environment.toml": spec('repository = "acme/api"\nchart = "../frontend/chart"'),
    });
    const error = await rejection(
      renderSpec({
        file: "environment.toml",
        root: frontend,
        env: {},
        fetchSources: checkouts({ "acme/api": api }).fetch,
      }),
    );
    expect(error).toBeInstanceOf(SpecError);
    expect(error.message).toBe('boxes[0].chart = "../frontend/chart" points outside the repository');

    await tempRepoSpec(frontend, spec('repository = "acme/api"\nchart = "charts/nope"'));
    const missing = await rejection(
      renderSpec({
        file: "environment.toml",
        root: frontend,
        env: {},
        fetchSources: checkouts({ "acme/api": api }).fetch,
      }),
    );
    expect(missing.message).toBe("boxes[0].chart: acme/api:charts/nope does not exist");
  });

  it("fails naming the repository when it cannot be fetched, and without sources asks for --source", async () => {
    const frontend = await tempRepo({ "environment.toml": spec('repository = "acme/secret"\nchart = "chart"') });
    const notFound = await rejection(
      renderSpec({ file: "environment.toml", root: frontend, env: {}, fetchSources: checkouts({}).fetch }),
    );
    expect(notFound).toBeInstanceOf(SpecError);
    expect(notFound.message).toBe('boxes[0].repository = "acme/secret": acme/secret not found');

    const noSources = (await rejection(renderSpec({ file: "environment.toml", root: frontend, env: {} }))) as SpecError;
    expect(noSources.message).toBe(
      'boxes[0].repository = "acme/secret": this run has no sources for another repository',
    );
    expect(noSources.hint).toBe("give a local checkout with --source acme/secret=DIR");
  });

  it("refuses a malformed repository or ref, and a ref without a repository", async () => {
    const cases: [string, string][] = [
      ['repository = "../etc"\nchart = "chart"', 'boxes[0].repository = "../etc" is not a repository path'],
      ['repository = "api"\nchart = "chart"', 'boxes[0].repository = "api" is not a repository path'],
      [
        'repository = "acme/api"\nref = "-x --upload-pack=evil"\nchart = "chart"',
        'boxes[0].ref = "-x --upload-pack=evil" is not a branch, tag or commit',
      ],
      [
        'repository = "acme/api"\nref = "a..b"\nchart = "chart"',
        'boxes[0].ref = "a..b" is not a branch, tag or commit',
      ],
      ['ref = "main"\nchart = "chart"', "boxes[0].ref is set without a repository"],
    ];
    for (const [box, message] of cases) {
      const frontend = await tempRepo({ ...configMapChart, "environment.toml": spec(box) });
      const error = await rejection(
        renderSpec({ file: "environment.toml", root: frontend, env: {}, fetchSources: checkouts({}).fetch }),
      );
      expect(error, box).toBeInstanceOf(SpecError);
      expect(error.message, box).toBe(message);
    }
  });
});

/** Rewrites a test repository's environment.toml. */
async function tempRepoSpec(root: string, text: string): Promise<void> {
  await writeFile(path.join(root, "environment.toml"), text);
}
