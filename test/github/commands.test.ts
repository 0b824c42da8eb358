// Commands in PR comments: who may give them, what they do, and /deploy for PRs from forks.
import { describe, expect } from "vitest";
import { liveNamespace, namespaceExists, objectsIn } from "./support/cluster.js";
import { openDeployed } from "./support/flows.js";
import { useGitHubApp } from "./support/prbox.js";
import { newSha, previewRepo } from "./support/sources.js";
import { stays } from "./support/wait.js";
import { commentDelivery, pullRequestDelivery } from "./support/webhooks.js";

const it = useGitHubApp();

function uids(objects: { kind: string; name: string; uid: string }[]): Map<string, string> {
  return new Map(objects.map((o) => [`${o.kind}/${o.name}`, o.uid]));
}

describe.concurrent("commands in PR comments", () => {
  it("rebuilds the environment from scratch on /reload by a writer, with a +1 reaction, once per comment", async ({ t }) => {
    const pr = 21;
    await openDeployed(t, pr);
    const namespace = t.namespace(pr);
    const before = uids(await objectsIn(t.kube, namespace));
    const [sticky] = t.stickyComments(pr);
    const editsBefore = sticky?.history.length ?? 0;
    t.repo.setPermission("maintainer", "write");
    const command = t.repo.comment(pr, "maintainer", "/reload");

    const delivery = commentDelivery(t.repo, command);
    const first = await t.deliver(delivery);
    await t.deliver(delivery, { id: first.id });

    expect(t.repo.reactionsOn(command.id).map((r) => r.content)).toEqual(["+1"]);
    await t.until("every object was recreated (new uids)", async () => {
      const after = uids(await objectsIn(t.kube, namespace));
      return after.size === before.size && [...before].every(([key, uid]) => after.has(key) && after.get(key) !== uid);
    });
    await t.settled();
    const since = sticky?.history.slice(editsBefore) ?? [];
    expect(since.filter((body) => body.includes("deploying"))).toHaveLength(1);
    expect(since.at(-1)).toContain("✅ ready");
    expect(t.stickyComments(pr)).toHaveLength(1);
    const desired = await t.prbox.rt.store.getDesired(t.environment(pr));
    expect(desired?.reloadRequest).toBe(1);
  });

  it("refuses /reload and /deploy from a reader with a reply and a -1 reaction each, and changes and queues nothing", async ({ t }) => {
    const pr = 22;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "patch-2", sha, fork: true, user: "contributor" });
    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));
    await t.until("the comment says a maintainer can /deploy", () => t.sticky(pr).includes("`/deploy`"), { state: () => t.sticky(pr) });
    await t.settled();
    const desiredBefore = await t.prbox.rt.store.getDesired(t.environment(pr));
    t.repo.setPermission("visitor", "read");
    const reload = t.repo.comment(pr, "visitor", "Looks broken.\n/reload");
    const deploy = t.repo.comment(pr, "visitor", "/deploy");

    await t.deliver(commentDelivery(t.repo, reload));
    await t.deliver(commentDelivery(t.repo, deploy));

    expect(t.repo.reactionsOn(reload.id).map((r) => r.content)).toEqual(["-1"]);
    expect(t.repo.reactionsOn(deploy.id).map((r) => r.content)).toEqual(["-1"]);
    const replies = t.repo.botComments(pr).filter((c) => !t.stickyComments(pr).includes(c));
    expect(replies.map((c) => c.body)).toEqual([expect.stringMatching(/^@visitor .*`\/reload`/), expect.stringMatching(/^@visitor .*`\/deploy`/)]);
    expect(await t.prbox.rt.store.getDesired(t.environment(pr))).toEqual(desiredBefore);
    expect(await t.prbox.pendingJobs()).not.toContain(t.environment(pr));
    expect(await namespaceExists(t.kube, t.namespace(pr))).toBe(false);
    expect(t.repo.downloads).toEqual([]);
  });

  it("does not deploy a fork's PR until a maintainer's /deploy, then deploys the head of that moment and not later pushes", async ({ t }) => {
    const pr = 23;
    const files = await previewRepo();
    const [opened, pushed, later] = [newSha(), newSha(), newSha()];
    for (const sha of [opened, pushed, later]) await t.repo.push(sha, files);
    t.repo.openPullRequest(pr, { ref: "patch-1", sha: opened, fork: true, user: "contributor" });
    const namespace = t.namespace(pr);

    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));
    await t.until("the comment says a maintainer can /deploy", () => t.sticky(pr).includes("a maintainer can deploy it with `/deploy`"), { state: () => t.sticky(pr) });
    t.repo.pushToPullRequest(pr, pushed);
    await t.deliver(pullRequestDelivery(t.repo, pr, "synchronize"));
    await t.settled();
    expect(await namespaceExists(t.kube, namespace)).toBe(false);
    expect(t.repo.downloads).toEqual([]);

    t.repo.setPermission("maintainer", "maintain");
    const command = t.repo.comment(pr, "maintainer", "/deploy");
    await t.deliver(commentDelivery(t.repo, command));
    t.repo.pushToPullRequest(pr, later);
    await t.deliver(pullRequestDelivery(t.repo, pr, "synchronize"));

    expect(t.repo.reactionsOn(command.id).map((r) => r.content)).toEqual(["+1"]);
    await t.until("the comment says ready", () => t.sticky(pr).includes("✅ ready"), { state: () => t.sticky(pr) });
    await t.settled();
    expect(t.sticky(pr)).toContain(pushed.slice(0, 7));
    expect((await liveNamespace(t.kube, namespace))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(pushed);
    await stays("the later push to the fork is not deployed", () => !t.repo.downloads.includes(later), { forMs: 1500 });
    expect(t.repo.downloads).toEqual([pushed]);
    expect(t.stickyComments(pr)).toHaveLength(1);
  });

  it("deploys nothing for a /deploy on a closed PR it has no record of", async ({ t }) => {
    const pr = 24;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/abandoned", sha });
    t.repo.closePullRequest(pr, { merged: false });
    t.repo.setPermission("maintainer", "write");
    const command = t.repo.comment(pr, "maintainer", "/deploy");

    await t.deliver(commentDelivery(t.repo, command));

    await t.settled();
    expect(t.sticky(pr)).not.toContain("✅ ready");
    expect(t.repo.downloads, "the closed PR's sources were fetched for a deploy").toEqual([]);
    expect(await namespaceExists(t.kube, t.namespace(pr))).toBe(false);
  });
});
