// The life of one PR's preview, end to end: a webhook over HTTP to the real server, the real
// worker, Redis, helm and API server; GitHub is the fake of test/support/fake-github.ts.
import { describe, expect } from "vitest";
import { environmentName } from "../../src/forges/github/deployments.js";
import { deploymentsAvailable, liveNamespace, namespaceExists, objectsIn } from "./support/cluster.js";
import { openDeployed } from "./support/flows.js";
import { assertNoCredentialLeaked, useGitHubApp } from "./support/prbox.js";
import { changed, newSha, previewRepo } from "./support/sources.js";
import { stays } from "./support/wait.js";
import { pullRequestDelivery } from "./support/webhooks.js";

const it = useGitHubApp();

describe.concurrent("a pull request's preview on GitHub", () => {
  it("deploys an opened PR: one comment with the preview URL, status pending then success, a deployment with its URL, the namespace running, no credential leaked", async ({ t }) => {
    const pr = 1;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/checkout", sha });

    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));

    await t.until("the comment says ready", () => t.sticky(pr).includes("✅ ready"), { state: () => t.sticky(pr) });
    await t.settled();
    expect(t.repo.botComments(pr)).toHaveLength(1);
    expect(t.stickyComments(pr)).toHaveLength(1);
    expect(t.sticky(pr)).toContain(`https://pr-${pr}.preview.example.com`);
    expect(t.sticky(pr)).toContain(sha.slice(0, 7));

    const statuses = t.repo.statusesOf(sha);
    expect(statuses[0]?.state).toBe("pending");
    expect(statuses.at(-1)).toMatchObject({ state: "success", target_url: `https://pr-${pr}.preview.example.com/` });

    const deployments = t.repo.deploymentsOf(environmentName(pr));
    expect(deployments.map((d) => d.sha)).toEqual([sha]);
    expect(deployments[0]?.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    expect(deployments[0]?.statuses.at(-1)?.environment_url).toBe(`https://pr-${pr}.preview.example.com/`);

    const namespace = t.namespace(pr);
    const ns = await liveNamespace(t.kube, namespace);
    expect(ns?.metadata?.labels).toMatchObject({ "prbox.dev/environment": t.environment(pr), "prbox.dev/pr": String(pr) });
    expect(ns?.metadata?.annotations?.["prbox.dev/sha"]).toBe(sha);
    const objects = await objectsIn(t.kube, namespace);
    expect(objects.map((o) => `${o.kind}/${o.name}`).sort()).toEqual([
      "ConfigMap/feature-flags",
      "ConfigMap/settings",
      "Deployment/first-service",
      "Deployment/second-service",
      "Ingress/www",
      "Service/first-service",
      "Service/second-service",
    ]);
    for (const object of objects) expect(object.labels["prbox.dev/environment"]).toBe(t.environment(pr));
    expect(await deploymentsAvailable(t.kube, namespace)).toBe(true);

    // The installation token, the app's JWT, the private key and the webhook secret appear in no
    // log line and in nothing sent to GitHub (the same check runs after every test).
    expect([...t.github.credentials]).toEqual(expect.arrayContaining([t.prbox.installationToken, expect.stringMatching(/^eyJ/)]));
    expect(t.prbox.logs()).toContain("/access_tokens");
    assertNoCredentialLeaked(t.prbox, t.github);
  });

  it("rolls a push out: the same comment is edited, the new SHA is deployed and the object the commit dropped is pruned", async ({ t }) => {
    const pr = 2;
    const first = await openDeployed(t, pr);
    const [comment] = t.stickyComments(pr);
    const namespace = t.namespace(pr);
    expect((await objectsIn(t.kube, namespace)).map((o) => o.name)).toContain("feature-flags");

    const second = newSha();
    await t.repo.push(second, changed(await previewRepo(), { remove: ["config/feature-flags.yaml"] }));
    t.repo.pushToPullRequest(pr, second);
    await t.deliver(pullRequestDelivery(t.repo, pr, "synchronize"));

    await t.until("the comment says ready at the new commit", () => t.sticky(pr).includes("✅ ready") && t.sticky(pr).includes(second.slice(0, 7)), {
      state: () => t.sticky(pr),
    });
    await t.settled();
    expect(t.stickyComments(pr).map((c) => c.id)).toEqual([comment?.id]);
    expect(t.repo.botComments(pr)).toHaveLength(1);
    expect((await liveNamespace(t.kube, namespace))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(second);
    const names = (await objectsIn(t.kube, namespace)).map((o) => `${o.kind}/${o.name}`);
    expect(names).not.toContain("ConfigMap/feature-flags");
    expect(names).toContain("ConfigMap/settings");
    expect(t.repo.statusesOf(second).at(-1)?.state).toBe("success");
    expect(t.repo.deploymentsOf(environmentName(pr)).map((d) => d.sha)).toEqual([first, second]);
  });

  it("deletes the environment when the PR is merged: namespace gone, deployment inactive, comment says deleted, and it stays so", async ({ t }) => {
    const pr = 3;
    const sha = await openDeployed(t, pr);
    const namespace = t.namespace(pr);
    const [comment] = t.stickyComments(pr);
    const late = pullRequestDelivery(t.repo, pr, "synchronize");

    t.repo.closePullRequest(pr, { merged: true });
    await t.deliver(pullRequestDelivery(t.repo, pr, "closed"));

    await t.until("the comment says the environment was deleted", () => t.sticky(pr).includes("environment deleted"), { state: () => t.sticky(pr) });
    await t.settled();
    expect(await namespaceExists(t.kube, namespace)).toBe(false);
    expect(t.stickyComments(pr).map((c) => c.id)).toEqual([comment?.id]);
    expect(t.sticky(pr)).toContain("the pull request was closed");
    const deployments = t.repo.deploymentsOf(environmentName(pr));
    expect(deployments.map((d) => d.sha)).toEqual([sha]);
    expect(deployments[0]?.statuses.at(-1)?.state).toBe("inactive");

    // A push delivered late and a redelivered close bring nothing back.
    await t.deliver(late);
    await t.deliver(pullRequestDelivery(t.repo, pr, "closed"));
    await stays("the namespace stays gone and the comment says deleted", async () => !(await namespaceExists(t.kube, namespace)) && t.sticky(pr).includes("environment deleted"), {
      forMs: 2000,
      check: () => t.github.assertNoProblems(),
    });
  });

  it("leaves no preview when GitHub delivers the close of a short-lived PR before its open", async ({ t }) => {
    const pr = 4;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/oops", sha });
    const opened = pullRequestDelivery(t.repo, pr, "opened");
    t.repo.closePullRequest(pr, { merged: false });
    const closed = pullRequestDelivery(t.repo, pr, "closed");

    // GitHub does not promise order: the close (newer updated_at) arrives first.
    await t.deliver(closed);
    await t.deliver(opened);

    await t.settled();
    expect(t.sticky(pr)).not.toContain("✅ ready");
    expect(t.repo.downloads, "the closed PR's sources were fetched for a deploy").toEqual([]);
    expect(await namespaceExists(t.kube, t.namespace(pr))).toBe(false);
  });
});
