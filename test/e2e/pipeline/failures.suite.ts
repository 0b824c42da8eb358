// What a PR sees when its preview cannot be deployed, on either forge: the reason, where to fix
// it, and no half environment left running where none could be made.
import { describe, expect } from "vitest";
import type { ForgeName } from "../../../src/core/forge.js";
import { namespaceExists } from "../github/support/cluster.js";
import { changed, newSha, previewRepo, withFailingPods, type Files } from "../github/support/sources.js";
import type { PipelineTest } from "./support/pipeline.js";
import { SHARED_PACE_TIMEOUT, usePipeline } from "./support/pipeline.js";

/** Opens PR `pr` at a commit with these files and waits until the comment says the deploy failed. */
async function openFailing(t: PipelineTest, pr: number, files: Files): Promise<{ sha: string; comment: string }> {
  const sha = newSha();
  await t.forge.push(sha, files);
  t.forge.open(pr, { ref: `feature/broken-${pr}`, sha });
  await t.deliver(t.forge.pullRequestEvent(pr, "opened"));
  await t.until("the comment says the deploy failed", () => t.sticky(pr).includes("❌"), { state: () => t.sticky(pr) });
  await t.settled();
  const comment = t.sticky(pr);
  expect(comment, "a permanent failure is reported once, not retried").not.toContain("retrying");
  expect(t.forge.stickyComments(pr)).toHaveLength(1);
  expect(t.forge.downloads()).toEqual([sha]);
  return { sha, comment };
}

/** The commit status failed with a description, and the forge's environment shows no preview. */
function expectFailedRecords(t: PipelineTest, pr: number, sha: string): void {
  expect(t.forge.statusesOf(sha).at(-1)).toMatchObject({ state: "failure" });
  // A GitLab Environment has no failed state: it stays without a URL.
  expect(t.forge.environment(pr)).toMatchObject({
    state: t.forge.recordsDeployments ? "failed" : "created",
    url: null,
  });
}

function edit(files: Files, file: string, from: string, to: string): Files {
  const text = files[file];
  if (!text?.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}`);
  return changed(files, { set: { [file]: text.replace(from, to) } });
}

export function failuresSuite(forge: ForgeName) {
  const it = usePipeline(forge, { env: { PRBOX_DEPLOY_TIMEOUT: "8s" } });

  describe.concurrent(`previews that cannot be deployed on ${forge}`, SHARED_PACE_TIMEOUT, () => {
    it("reports an unknown variable once, quoting it with its file and line, and creates no namespace", async ({
      t,
    }) => {
      const pr = 41;
      const files = edit(
        await previewRepo(),
        "box1/values.yaml",
        "port: 80\n",
        'port: 80\ndomain: "${PREVIEW_DOMAIN}"\n',
      );

      const { sha, comment } = await openFailing(t, pr, files);

      expect(comment).toContain("box1/values.yaml:5");
      expect(comment).toContain("${PREVIEW_DOMAIN}");
      expect(t.forge.statusesOf(sha).at(-1)?.description).toContain("PREVIEW_DOMAIN");
      expectFailedRecords(t, pr, sha);
      expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(false);
    });

    it("reports environment.toml that is not TOML with its line and column", async ({ t }) => {
      const pr = 43;
      const files = await previewRepo();
      const spec = files["environment.toml"] ?? "";
      const line = spec.split("\n").findIndex((l) => l === 'name = "first-box"') + 1;
      expect(line).toBeGreaterThan(0);

      const { sha, comment } = await openFailing(
        t,
        pr,
        edit(files, "environment.toml", 'name = "first-box"', 'name = "first-box'),
      );

      expect(comment).toMatch(new RegExp(`environment\\.toml:${line}:\\d+`));
      expect(comment).toContain("invalid TOML");
      expectFailedRecords(t, pr, sha);
      expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(false);
    });

    it("reports a chart helm cannot render, naming the box and the template's line", async ({ t }) => {
      const pr = 44;
      const template = "box2/templates/api-nginx-service.yaml";
      const files = edit(
        await previewRepo(),
        template,
        "  name: {{ .Values.serviceName }}",
        "  name: {{ .Values.missing.name }}",
      );

      const { sha, comment } = await openFailing(t, pr, files);

      expect(comment).toContain("helm could not render the chart");
      expect(comment).toContain("second-box");
      expect(comment).toContain(`${template}:4`);
      expectFailedRecords(t, pr, sha);
      expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(false);
    });

    it("reports a manifest the cluster rejects, naming the object and the API server's reason", async ({ t }) => {
      const pr = 45;
      const rejected = [
        "apiVersion: v1",
        "kind: Service",
        "metadata:",
        "  name: rejected-port",
        "spec:",
        "  ports:",
        "    - port: 99999",
        "",
      ].join("\n");
      const files = changed(await previewRepo(), { set: { "config/rejected.yaml": rejected } });

      const { sha, comment } = await openFailing(t, pr, files);

      expect(comment).toMatch(/Service\/?\s?rejected-port/);
      expect(comment).toContain("99999");
      expectFailedRecords(t, pr, sha);
    });

    it("refuses a privileged container before deploying, naming the template and the Pod Security rule, and creates no namespace", async ({
      t,
    }) => {
      const pr = 46;
      const template = "box2/templates/api-nginx-deployment.yaml";
      const files = edit(
        await previewRepo(),
        template,
        "        - name: nginx\n",
        "        - name: nginx\n          securityContext:\n            privileged: true\n",
      );

      const { sha, comment } = await openFailing(t, pr, files);

      expect(comment).toContain(
        'pods would be refused by Pod Security "baseline": privileged (container "nginx" must not set securityContext.privileged=true)',
      );
      expect(comment).toContain(template);
      expectFailedRecords(t, pr, sha);
      expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(false);
    });

    it("names the Deployment whose image never starts and the reason the cluster gives (ImagePullBackOff)", async ({
      t,
    }) => {
      const pr = 42;

      const { sha, comment } = await openFailing(t, pr, withFailingPods(await previewRepo(), "ImagePullBackOff"));

      expect(comment).toMatch(/Deployment\/?\s?second-service/);
      expect(comment).toContain("ImagePullBackOff");
      expect(comment).not.toMatch(/Deployment\/?\s?first-service/);
      expectFailedRecords(t, pr, sha);
    });
  });

  return it;
}
