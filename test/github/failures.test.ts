// What a PR sees when its preview cannot be deployed: the reason, where to fix it, and no half
// environment left running where none could be made.
import { describe, expect } from "vitest";
import { environmentName } from "../../src/forges/github/deployments.js";
import { namespaceExists } from "./support/cluster.js";
import { useGitHubApp } from "./support/prbox.js";
import { changed, newSha, previewRepo, withFailingPods } from "./support/sources.js";
import { pullRequestDelivery } from "./support/webhooks.js";

const it = useGitHubApp({ env: { PRBOX_DEPLOY_TIMEOUT: "8s" } });

describe.concurrent("previews that cannot be deployed", () => {
  it("reports a broken spec once, quoting the error with its file and line, and creates no namespace", async ({ t }) => {
    const pr = 41;
    const sha = newSha();
    const files = await previewRepo();
    const values = files["box1/values.yaml"] ?? "";
    await t.repo.push(sha, changed(files, { set: { "box1/values.yaml": values.replace("port: 80\n", 'port: 80\ndomain: "${PREVIEW_DOMAIN}"\n') } }));
    t.repo.openPullRequest(pr, { ref: "feature/broken-values", sha });

    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));

    await t.until("the comment says the deploy failed", () => t.sticky(pr).includes("❌"), { state: () => t.sticky(pr) });
    await t.settled();
    const comment = t.sticky(pr);
    expect(comment).toContain("box1/values.yaml:5");
    expect(comment).toContain("${PREVIEW_DOMAIN}");
    expect(comment).not.toContain("(retrying)");
    expect(t.repo.statusesOf(sha).at(-1)).toMatchObject({ state: "failure" });
    expect(t.repo.statusesOf(sha).at(-1)?.description).toContain("PREVIEW_DOMAIN");
    expect(t.repo.deploymentsOf(environmentName(pr)).at(-1)?.statuses.at(-1)?.state).toBe("failure");
    expect(await namespaceExists(t.kube, t.namespace(pr))).toBe(false);
    expect(t.repo.downloads).toEqual([sha]);
    expect(t.stickyComments(pr)).toHaveLength(1);
  });

  it("names the Deployment whose image never starts and the reason the cluster gives (ImagePullBackOff)", async ({ t }) => {
    const pr = 42;
    const sha = newSha();
    await t.repo.push(sha, withFailingPods(await previewRepo(), "ImagePullBackOff"));
    t.repo.openPullRequest(pr, { ref: "feature/bad-image", sha });

    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));

    await t.until("the comment says the deploy failed", () => t.sticky(pr).includes("❌"), { state: () => t.sticky(pr) });
    await t.settled();
    const comment = t.sticky(pr);
    expect(comment).toMatch(/Deployment\/?\s?second-service/);
    expect(comment).toContain("ImagePullBackOff");
    expect(comment).not.toContain("(retrying)");
    expect(comment).not.toMatch(/Deployment\/?\s?first-service/);
    expect(t.repo.statusesOf(sha).at(-1)?.state).toBe("failure");
    expect(t.repo.deploymentsOf(environmentName(pr)).at(-1)?.statuses.at(-1)?.state).toBe("failure");
    expect(t.repo.downloads).toEqual([sha]);
  });
});
