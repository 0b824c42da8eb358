// Pull requests across repositories that deploy together, on either forge (issue 18, ADR 29): a
// frontend whose environment.toml takes the other services' charts (api, worker, payments) from
// their repositories; a PR of the api with the frontend PR's branch joins its preview (one namespace,
// the api box at the PR's head, the same report on both PRs), a push to it redeploys, closing it
// puts the api back at its default branch, closing the frontend's PR deletes the preview. The
// real server, worker, Redis, helm and control plane; the forges are the fakes.
import { describe, expect } from "vitest";
import type { ForgeName } from "../../../src/core/forge.js";
import { namespaceExists } from "../github/support/cluster.js";
import { newSha, type Files } from "../github/support/sources.js";
import type { ForgeHarness } from "./support/forge.js";
import { sweepAt } from "./flows.js";
import type { PipelineTest } from "./support/pipeline.js";
import { SHARED_PACE_TIMEOUT, usePipeline } from "./support/pipeline.js";

const BRANCH = "feature/checkout";
const HOUR = 3_600_000;

/** A chart of one ConfigMap `<release>-config` whose `from` says which version of which service it is. */
function serviceChart(from: string): Files {
  return {
    "chart/Chart.yaml": "apiVersion: v2\nname: service\nversion: 1.2.0\n",
    "chart/templates/configmap.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\n  labels:\n    helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}\ndata:\n  from: ${JSON.stringify(from)}\n`,
  };
}

/** The frontend's sources: its own manifest, and the other services' charts (box name → repository) from their repositories. */
function frontend(services: Record<string, string>, from = "frontend"): Files {
  const box = (name: string, repository: string) =>
    `[[boxes]]\ntype = "helm"\nname = "${name}"\nrepository = "${repository}"\nchart = "chart"\n`;
  return {
    "k8s/frontend.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frontend\ndata:\n  from: ${from}\n`,
    "environment.toml": [
      'url = "https://checkout-${PRBOX_PR}.preview.example.com"',
      '[[boxes]]\ntype = "manifests"\nname = "frontend"\nchart = "k8s"\n',
      ...Object.entries(services).map(([name, repository]) => box(name, repository)),
    ].join("\n"),
  };
}

/** Opens PR `pr` of `repo` on BRANCH at a new commit with `files`; returns the commit. */
async function openOn(t: PipelineTest, repo: ForgeHarness, pr: number, files: Files): Promise<string> {
  const sha = newSha();
  await repo.push(sha, files);
  repo.open(pr, { ref: BRANCH, sha });
  await t.deliver(repo.pullRequestEvent(pr, "opened"));
  return sha;
}

/** Another repository of the test per name, each with its chart on main saying "<name> main". */
async function servicesOf(t: PipelineTest, names: string[]): Promise<Record<string, ForgeHarness>> {
  const repos: Record<string, ForgeHarness> = {};
  for (const name of names) {
    repos[name] = t.another(t.forge.name);
    await repos[name].pushBranch("main", newSha(), serviceChart(`${name} main`));
  }
  return repos;
}

const reposOf = (services: Record<string, ForgeHarness>) =>
  Object.fromEntries(Object.entries(services).map(([name, repo]) => [name, repo.repo]));

/** Opens the frontend's PR `pr` (the test's own repository) with a box per service; waits until it is ready. */
async function openFrontend(t: PipelineTest, pr: number, services: Record<string, ForgeHarness>, from?: string) {
  await openOn(t, t.forge, pr, frontend(reposOf(services), from));
  await t.until(`the frontend's preview #${pr} is ready`, () => sticky(t.forge, pr).includes("✅ ready"), {
    state: () => sticky(t.forge, pr),
  });
  await t.settled();
}

/** Pushes a new commit with `files` to PR `pr` of `repo` and delivers the push; returns the commit. */
async function pushOn(t: PipelineTest, repo: ForgeHarness, pr: number, files: Files): Promise<string> {
  const sha = newSha();
  await repo.push(sha, files);
  repo.pushTo(pr, sha);
  await t.deliver(repo.pullRequestEvent(pr, "synchronize"));
  return sha;
}

const sticky = (repo: ForgeHarness, pr: number) => repo.stickyComments(pr)[0]?.body ?? "";
const link = (repo: ForgeHarness, pr: number) => `${repo.repo}${repo.name === "gitlab" ? "!" : "#"}${pr}`;

export function groupsSuite(forge: ForgeName) {
  const it = usePipeline(forge, {
    env: {
      PRBOX_BOX_REPOSITORIES: "acme/**:acme/**",
      // Sleep is on (the suite's sweeps run with a clock moved ahead; the periodic one never reaches 8 h).
      PRBOX_SLEEP_AFTER: "8h",
      PRBOX_WAKE_ADDRESS: "prbox.prbox-system.svc.cluster.local:3000",
    },
  });

  // One after another: each test writes many comments (one report per PR of its group), at the installation's pace.
  describe(`pull requests of one branch in several repositories on ${forge}`, SHARED_PACE_TIMEOUT, () => {
    it("four services in four repositories, a branch in two: one preview on both PRs; a push redeploys it, closing each falls back, then tears down", async ({
      t,
    }) => {
      const web = t.forge;
      const services = await servicesOf(t, ["api", "worker", "payments"]);
      const api = services.api!;
      const namespace = web.namespace(1);
      const from = async (name: string) => (await t.kube.core.readNamespacedConfigMap({ name, namespace })).data?.from;
      const url = "https://checkout-1.preview.example.com";

      // Four services in four repositories. The frontend's PR alone: the other three at their default branch.
      await openFrontend(t, 1, services);
      expect([await from("api-config"), await from("worker-config"), await from("payments-config")]).toEqual([
        "api main",
        "worker main",
        "payments main",
      ]);
      expect(sticky(web, 1)).not.toContain("One preview for the pull requests");

      // The api's PR on the same branch joins: one namespace, the api at the PR's head, both PRs told.
      const apiHead = await openOn(t, api, 7, serviceChart("api feature"));
      await t.until("the api box is at the api PR's head", async () => (await from("api-config")) === "api feature");
      await t.until("both comments list the group", () =>
        [sticky(web, 1), sticky(api, 7)].every((c) => c.includes(`${link(api, 7)}`) && c.includes("✅ ready")),
      );
      await t.settled();
      for (const [repo, pr] of [
        [web, 1],
        [api, 7],
      ] as const) {
        const body = sticky(repo, pr);
        expect(body).toContain(url);
        expect(body).toContain("One preview for the pull requests of this branch in 2 repositories:");
        expect(body).toContain(`- ${link(web, 1)}${repo === web ? " (this one)" : ""} at`);
        expect(body).toContain(`- ${link(api, 7)}${repo === api ? " (this one)" : ""} at \`${apiHead.slice(0, 7)}\``);
      }
      // The frontend's own box comes from "this pull request" on its PR, from its repository on the api's.
      expect(sticky(web, 1)).toContain("| ` frontend ` | manifests | 1 | this pull request |");
      expect(sticky(api, 7)).toContain(`| \` frontend \` | manifests | 1 | \` ${web.repo} \` at \``);
      expect(sticky(api, 7)).toContain(
        `| \` api \` | \` service-1.2.0 \` | 1 | \` ${api.repo} \` at \`${apiHead.slice(0, 7)}\` |`,
      );
      expect([await from("worker-config"), await from("payments-config")]).toEqual(["worker main", "payments main"]);
      expect(await namespaceExists(t.kube, api.namespace(7))).toBe(false);
      expect(api.statusesOf(apiHead).at(-1)?.state).toBe("success");

      // A push to the api's PR redeploys the shared preview.
      const apiPush = await pushOn(t, api, 7, serviceChart("api feature, second push"));
      await t.until(
        "the api box is at the new head",
        async () => (await from("api-config")) === "api feature, second push",
      );
      await t.until("the api PR's comment names the new head", () => sticky(api, 7).includes(apiPush.slice(0, 7)));
      await t.settled();

      // Closing the api's PR puts the api back at its default branch; the frontend's preview goes on.
      api.close(7, { merged: true });
      await t.deliver(api.pullRequestEvent(7, "closed"));
      await t.until("the api box is back at main", async () => (await from("api-config")) === "api main");
      await t.until("the api PR says it left", () => sticky(api, 7).includes("left the shared preview"));
      await t.until("the frontend's comment no longer lists the api", () => !sticky(web, 1).includes(link(api, 7)));
      await t.settled();
      expect(sticky(api, 7)).toContain(`left the shared preview of ${link(web, 1)} (the pull request was closed)`);
      expect(sticky(web, 1)).toContain("✅ ready");

      // Closing the last PR deletes the preview.
      web.close(1, { merged: true });
      await t.deliver(web.pullRequestEvent(1, "closed"));
      await t.until("the namespace is gone", async () => !(await namespaceExists(t.kube, namespace)));
      await t.settled();
    });

    it("goes on for the api's PR when the frontend's is merged first, with the frontend at its default branch, until the api's closes", async ({
      t,
    }) => {
      const web = t.forge;
      const services = await servicesOf(t, ["api", "worker"]);
      const api = services.api!;
      await web.pushBranch("main", newSha(), frontend(reposOf(services), "frontend main"));
      const namespace = web.namespace(2);
      const from = async (name: string) => (await t.kube.core.readNamespacedConfigMap({ name, namespace })).data?.from;
      await openFrontend(t, 2, services, "frontend feature");
      await openOn(t, api, 8, serviceChart("api feature"));
      await t.until("the api box is at the api PR's head", async () => (await from("api-config")) === "api feature");
      await t.settled();

      web.close(2, { merged: true });
      await t.deliver(web.pullRequestEvent(2, "closed"));
      await t.until("the frontend is at its default branch", async () => (await from("frontend")) === "frontend main");
      await t.until("the api PR's comment says so", () =>
        sticky(api, 8).includes(`- ${link(web, 2)} (closed: its default branch) at`),
      );
      await t.settled();
      expect(await from("api-config")).toBe("api feature");
      expect(sticky(api, 8)).toContain("✅ ready");
      expect(sticky(web, 2)).toBe(
        `<!-- prbox:sticky -->\n**prbox preview**: this pull request is closed; its preview goes on for ${link(api, 8)}, with this repository at its default branch, and is deleted when they close.`,
      );

      api.close(8, { merged: true });
      await t.deliver(api.pullRequestEvent(8, "closed"));
      await t.until("the namespace is gone", async () => !(await namespaceExists(t.kube, namespace)));
      await t.until("the frontend's comment says the preview was deleted", () =>
        sticky(web, 2).includes("environment deleted (the pull request was closed)"),
      );
      await t.settled();
      expect(sticky(api, 8)).toContain(
        `left the shared preview of ${link(web, 2)} (the pull request was closed); that pull request is closed too, so the preview is deleted.`,
      );
    });

    it("takes a fork's PR into the group only after a maintainer's /deploy", async ({ t }) => {
      const web = t.forge;
      const services = await servicesOf(t, ["api", "worker"]);
      const api = services.api!;
      const namespace = web.namespace(3);
      const from = async (name: string) => (await t.kube.core.readNamespacedConfigMap({ name, namespace })).data?.from;
      await openFrontend(t, 3, services);

      const forkHead = newSha();
      await api.push(forkHead, serviceChart("api from a fork"));
      api.open(9, { ref: BRANCH, sha: forkHead, fork: true, user: "outsider" });
      await t.deliver(api.pullRequestEvent(9, "opened"));
      await t.until("the fork's PR waits for a maintainer", () => sticky(api, 9).includes("comes from a fork"));
      await t.settled();
      expect(await from("api-config")).toBe("api main");
      expect(sticky(web, 3)).not.toContain(link(api, 9));

      api.setRole("maintainer-of-api", "maintain");
      const deploy = api.comment(9, "maintainer-of-api", "/deploy");
      await t.deliver(api.commentEvent(9, deploy), { replies: true });
      await t.until("the fork's head is in the preview", async () => (await from("api-config")) === "api from a fork");
      await t.until("both comments list the group", () =>
        [sticky(web, 3), sticky(api, 9)].every((c) => c.includes(link(api, 9)) && c.includes("✅ ready")),
      );
      await t.settled();
      expect(await namespaceExists(t.kube, api.namespace(9))).toBe(false);
    });

    it("takes in the api's PR opened first with a preview of its own: that preview is deleted, both PRs show the shared one", async ({
      t,
    }) => {
      const web = t.forge;
      const services = await servicesOf(t, ["api", "worker"]);
      const api = services.api!;
      // The api's repository previews itself alone.
      const alone = {
        ...serviceChart("api feature"),
        "environment.toml": '[[boxes]]\ntype = "helm"\nname = "api"\nchart = "chart"\n',
      };
      await openOn(t, api, 10, alone);
      await t.until("the api's own preview is ready", () => sticky(api, 10).includes("✅ ready"));
      await t.settled();
      expect(await namespaceExists(t.kube, api.namespace(10))).toBe(true);

      await openOn(t, web, 4, frontend(reposOf(services)));
      await t.until(
        "the api's own preview is deleted",
        async () => !(await namespaceExists(t.kube, api.namespace(10))),
      );
      await t.until("both comments show the shared preview", () =>
        [sticky(web, 4), sticky(api, 10)].every((c) => c.includes(link(api, 10)) && c.includes("✅ ready")),
      );
      await t.settled();
      const config = await t.kube.core.readNamespacedConfigMap({ name: "api-config", namespace: web.namespace(4) });
      expect(config.data?.from).toBe("api feature");
      expect(sticky(api, 10)).toContain("https://checkout-4.preview.example.com");
      expect(sticky(api, 10)).toContain(`\`${web.namespace(4)}\``);
    });

    it("sleeps only when every PR of the group is idle, says so on both, and a push to the api's PR wakes it", async ({
      t,
    }) => {
      const web = t.forge;
      const services = await servicesOf(t, ["api", "worker"]);
      const api = services.api!;
      await openFrontend(t, 5, services);
      await openOn(t, api, 11, serviceChart("api feature"));
      await t.until("both comments list the group", () =>
        [sticky(web, 5), sticky(api, 11)].every((c) => c.includes(link(api, 11)) && c.includes("✅ ready")),
      );
      await t.settled();
      const ids = [web.environmentId(5), api.environmentId(11)];
      const events = await Promise.all(
        ids.map(async (id) => Date.parse((await t.prbox.rt.store.getDesired(id))?.eventAt ?? "")),
      );
      const [first, last] = [Math.min(...events), Math.max(...events)];
      expect(last).toBeGreaterThan(first);

      // 8 h after the frontend's last event, but not after the api's: nobody sleeps.
      expect(await sweepAt(t, ids, first + 8 * HOUR)).toMatchObject({ slept: [] });
      expect(await sweepAt(t, ids, last + 8 * HOUR - 60_000)).toMatchObject({ slept: [] });
      // 8 h after the group's last event: the host sleeps (the member has nothing of its own to put to sleep).
      expect(await sweepAt(t, ids, last + 8 * HOUR)).toMatchObject({ slept: [ids[0]] });
      await t.until("both comments say the preview sleeps", () =>
        [sticky(web, 5), sticky(api, 11)].every((c) => c.includes("💤 sleeping since")),
      );
      await t.settled();

      const apiPush = await pushOn(t, api, 11, serviceChart("api feature, after a night"));
      await t.until(
        "both comments are ready again with the new head",
        () => [sticky(web, 5), sticky(api, 11)].every((c) => c.includes("✅ ready") && c.includes(apiPush.slice(0, 7))),
        { state: () => [sticky(web, 5), sticky(api, 11)] },
      );
      await t.settled();
      const config = await t.kube.core.readNamespacedConfigMap({ name: "api-config", namespace: web.namespace(5) });
      expect(config.data?.from).toBe("api feature, after a night");
    });
  });
}
