// Boxes from other repositories, on either forge (issue 18): a PR's environment.toml takes the
// api's and the worker's charts from their own repositories at their default branch, fetched by
// prbox with its own credentials; the comment names each box's repository and commit. A
// repository the operator did not allow, a ref that does not exist and a path leaving the other
// repository's sources each fail with their message. Real helm and the real control plane.
import { describe, expect } from "vitest";
import type { ForgeName } from "../../../src/core/forge.js";
import { namespaceExists } from "../github/support/cluster.js";
import { newSha, type Files } from "../github/support/sources.js";
import type { PipelineTest } from "./support/pipeline.js";
import { SHARED_PACE_TIMEOUT, usePipeline } from "./support/pipeline.js";

// The repositories of this suite are acme/shop-…; their api and worker may be pulled in, nothing else.
const ALLOWED = "acme/**:**-api,acme/**:**-worker";

/** A chart of one ConfigMap `<release>-config` whose `from` says which commit of which repository it is. */
function serviceChart(from: string): Files {
  return {
    "chart/Chart.yaml": "apiVersion: v2\nname: service\nversion: 1.2.0\n",
    "chart/templates/configmap.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\n  labels:\n    helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}\ndata:\n  from: ${JSON.stringify(from)}\n`,
  };
}

function box(name: string, lines: string[]): string {
  return ["[[boxes]]", 'type = "helm"', `name = "${name}"`, ...lines, ""].join("\n");
}

/** The PR's repository: a frontend manifest, and the boxes given. */
function frontend(boxes: string[]): Files {
  return {
    "k8s/frontend.yaml":
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frontend\ndata:\n  from: the pull request\n",
    "environment.toml": ['[[boxes]]\ntype = "manifests"\nname = "frontend"\nchart = "k8s"\n', ...boxes].join("\n"),
  };
}

/** Opens PR `pr` at a commit with these files and waits until its comment is ready or failed. */
async function openWith(t: PipelineTest, pr: number, files: Files): Promise<string> {
  const sha = newSha();
  await t.forge.push(sha, files);
  t.forge.open(pr, { ref: `feature/pr-${pr}`, sha });
  await t.deliver(t.forge.pullRequestEvent(pr, "opened"));
  await t.until(`the comment of #${pr} says ready or failed`, () => /✅ ready|❌/.test(t.sticky(pr)), {
    state: () => t.sticky(pr),
  });
  await t.settled();
  return sha;
}

export function sourcesSuite(forge: ForgeName) {
  const it = usePipeline(forge, { env: { PRBOX_BOX_REPOSITORIES: ALLOWED } });

  describe.concurrent(`boxes from other repositories on ${forge}`, SHARED_PACE_TIMEOUT, () => {
    it("deploys the PR's own box with the api and the worker at their default branch, and names each commit", async ({
      t,
    }) => {
      const api = t.forge.otherRepository("api");
      const worker = t.forge.otherRepository("worker");
      const apiMain = newSha();
      const workerMain = newSha();
      await api.pushBranch("main", apiMain, serviceChart(`${api.path}@main`));
      await worker.pushBranch("main", workerMain, serviceChart(`${worker.path}@main`));
      await worker.pushBranch("feature/pr-1", newSha(), serviceChart(`${worker.path}@feature`));
      const pr = 1;

      await openWith(
        t,
        pr,
        frontend([
          box("api", [`repository = "${api.path}"`, 'chart = "chart"']),
          box("worker", [`repository = "${worker.path}"`, 'chart = "chart"']),
        ]),
      );

      expect(t.sticky(pr)).toContain("✅ ready");
      const data = async (name: string) =>
        (await t.kube.core.readNamespacedConfigMap({ name, namespace: t.forge.namespace(pr) })).data?.from;
      expect(await data("frontend")).toBe("the pull request");
      expect(await data("api-config")).toBe(`${api.path}@main`);
      expect(await data("worker-config")).toBe(`${worker.path}@main`);
      expect(api.downloads()).toEqual([apiMain]);
      expect(t.sticky(pr)).toContain("| box | chart | objects | from |");
      expect(t.sticky(pr)).toContain("| ` frontend ` | manifests | 1 | this pull request |");
      expect(t.sticky(pr)).toContain(
        `| \` api \` | \` service-1.2.0 \` | 1 | \` ${api.path} \` at \`${apiMain.slice(0, 7)}\` |`,
      );
      expect(t.sticky(pr)).toContain(
        `| \` worker \` | \` service-1.2.0 \` | 1 | \` ${worker.path} \` at \`${workerMain.slice(0, 7)}\` |`,
      );
    });

    it("fails naming the box when its repository is not allowed, its ref does not exist, or its path leaves it", async ({
      t,
    }) => {
      const api = t.forge.otherRepository("api");
      const secret = t.forge.otherRepository("secret");
      await api.pushBranch("main", newSha(), serviceChart("api"));
      await secret.pushBranch("main", newSha(), serviceChart("secret"));
      const cases: [number, string, string[]][] = [
        [
          2,
          `boxes[1].repository = "${secret.path}": ${t.forge.repo}'s previews may not take boxes from ${secret.path}`,
          [`repository = "${secret.path}"`, 'chart = "chart"'],
        ],
        [
          3,
          `boxes[1].repository = "${api.path}": resolving ${api.path}@no-such-branch: ${api.path} has no branch, tag or commit "no-such-branch"`,
          [`repository = "${api.path}"`, 'ref = "no-such-branch"', 'chart = "chart"'],
        ],
        [
          4,
          `boxes[1].chart = "../${t.forge.repo.split("/")[1]}/k8s" points outside the repository`,
          [`repository = "${api.path}"`, `chart = "../${t.forge.repo.split("/")[1]}/k8s"`],
        ],
      ];
      for (const [pr, message, lines] of cases) {
        await openWith(t, pr, frontend([box("api", lines)]));
        expect(t.sticky(pr), message).toContain("❌");
        expect(t.sticky(pr)).toContain(message);
        expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(false);
      }
      expect(secret.downloads()).toEqual([]);
    });
  });
}
