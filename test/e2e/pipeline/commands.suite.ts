// Commands in PR comments (GitLab: MR notes) on either forge: who may give them, what they do,
// and /deploy for PRs from forks.
import { describe, expect } from "vitest";
import type { ForgeName } from "../../../src/core/forge.js";
import { liveNamespace, namespaceExists, objectsIn } from "../github/support/cluster.js";
import { newSha, previewRepo } from "../github/support/sources.js";
import { stays } from "../github/support/wait.js";
import { STICKY_MARKER } from "../../../src/core/sticky-comment.js";
import { commandReply, openDeployed } from "./flows.js";
import type { PipelineTest } from "./support/pipeline.js";
import { SHARED_PACE_TIMEOUT, usePipeline } from "./support/pipeline.js";

function uids(objects: { kind: string; name: string; uid: string }[]): Map<string, string> {
  return new Map(objects.map((o) => [`${o.kind}/${o.name}`, o.uid]));
}

/** Opens PR `pr` from a fork at `shas[0]` and pushes the others; waits until prbox asks for a maintainer's /deploy. */
async function openFork(t: PipelineTest, pr: number, shas: string[]): Promise<void> {
  const files = await previewRepo();
  for (const sha of shas) await t.forge.push(sha, files);
  const [first, ...later] = shas;
  t.forge.open(pr, { ref: `patch-${pr}`, sha: first ?? "", fork: true, user: "contributor" });
  await t.deliver(t.forge.pullRequestEvent(pr, "opened"));
  for (const sha of later) {
    t.forge.pushTo(pr, sha);
    await t.deliver(t.forge.pullRequestEvent(pr, "synchronize"));
  }
  await t.until(
    "the comment says a maintainer can /deploy",
    () => t.sticky(pr).includes("a maintainer can deploy it with `/deploy`"),
    { state: () => t.sticky(pr) },
  );
  await t.settled();
}

export function commandsSuite(forge: ForgeName) {
  // An idle TTL far beyond any test's length: /keep and /extend have an expiry to change.
  const it = usePipeline(forge, { env: { PRBOX_IDLE_TTL: "72h" } });

  describe.concurrent(`commands in PR comments on ${forge}`, SHARED_PACE_TIMEOUT, () => {
    it("rebuilds the environment from scratch on /reload by a writer, with a +1 reaction, once per comment", async ({
      t,
    }) => {
      const pr = 21;
      await openDeployed(t, pr);
      const namespace = t.forge.namespace(pr);
      const before = uids(await objectsIn(t.kube, namespace));
      const [sticky] = t.forge.stickyComments(pr);
      const editsBefore = sticky?.history.length ?? 0;
      t.forge.setRole("maintainer", "write");
      const command = t.forge.comment(pr, "maintainer", "/reload");

      const delivery = t.forge.commentEvent(pr, command);
      const first = await t.deliver(delivery);
      await t.deliver(delivery, { id: first.id });

      expect(t.forge.reactionsOn(command.id)).toEqual(["+1"]);
      await t.until("every object was recreated (new uids)", async () => {
        const after = uids(await objectsIn(t.kube, namespace));
        return (
          after.size === before.size && [...before].every(([key, uid]) => after.has(key) && after.get(key) !== uid)
        );
      });
      await t.settled();
      const since = t.forge.stickyComments(pr)[0]?.history.slice(editsBefore) ?? [];
      expect(since.filter((body) => body.includes("deploying"))).toHaveLength(1);
      expect(since.at(-1)).toContain("✅ ready");
      expect(t.forge.stickyComments(pr)).toHaveLength(1);
      expect(t.forge.replies(pr)).toEqual([]);
      const desired = await t.prbox.rt.store.getDesired(t.forge.environmentId(pr));
      expect(desired?.reloadRequest).toBe(1);
    });

    it("refuses /reload and /deploy from a reader (GitLab: a Guest) with one -1 reaction and one reply saying why, and changes and queues nothing", async ({
      t,
    }) => {
      const pr = 22;
      const sha = newSha();
      await t.forge.push(sha, await previewRepo());
      t.forge.open(pr, { ref: "patch-2", sha, fork: true, user: "contributor" });
      await t.deliver(t.forge.pullRequestEvent(pr, "opened"));
      await t.until("the comment says a maintainer can /deploy", () => t.sticky(pr).includes("`/deploy`"), {
        state: () => t.sticky(pr),
      });
      await t.settled();
      const desiredBefore = await t.prbox.rt.store.getDesired(t.forge.environmentId(pr));
      t.forge.setRole("visitor", "read");
      const reload = t.forge.comment(pr, "visitor", "Looks broken.\n/reload");
      const deploy = t.forge.comment(pr, "visitor", "/deploy");

      await t.deliver(t.forge.commentEvent(pr, reload), { replies: true });
      await t.deliver(t.forge.commentEvent(pr, deploy));

      await t.until("the reply to the reader", () => t.forge.replies(pr).length > 0);
      // One answer per person and PR: a reader cannot make prbox write without limit.
      expect(t.forge.reactionsOn(reload.id)).toEqual(["-1"]);
      expect(t.forge.reactionsOn(deploy.id)).toEqual([]);
      expect(t.forge.replies(pr)).toEqual([expect.stringMatching(/^@visitor .*`\/reload`/)]);
      expect(await t.prbox.rt.store.getDesired(t.forge.environmentId(pr))).toEqual(desiredBefore);
      expect(await t.prbox.pendingJobs()).not.toContain(t.forge.environmentId(pr));
      expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(false);
      expect(t.forge.downloads()).toEqual([]);
    });

    it("does not deploy a fork's PR until a maintainer's /deploy, then deploys the head of that moment and not later pushes", async ({
      t,
    }) => {
      const pr = 23;
      const files = await previewRepo();
      const [opened, pushed, later] = [newSha(), newSha(), newSha()];
      for (const sha of [opened, pushed, later]) await t.forge.push(sha, files);
      t.forge.open(pr, { ref: "patch-1", sha: opened, fork: true, user: "contributor" });
      const namespace = t.forge.namespace(pr);

      await t.deliver(t.forge.pullRequestEvent(pr, "opened"));
      await t.until(
        "the comment says a maintainer can /deploy",
        () => t.sticky(pr).includes("a maintainer can deploy it with `/deploy`"),
        { state: () => t.sticky(pr) },
      );
      t.forge.pushTo(pr, pushed);
      await t.deliver(t.forge.pullRequestEvent(pr, "synchronize"));
      await t.settled();
      expect(await namespaceExists(t.kube, namespace)).toBe(false);
      expect(t.forge.downloads()).toEqual([]);

      t.forge.setRole("maintainer", "maintain");
      const command = t.forge.comment(pr, "maintainer", "/deploy");
      await t.deliver(t.forge.commentEvent(pr, command));
      t.forge.pushTo(pr, later);
      await t.deliver(t.forge.pullRequestEvent(pr, "synchronize"));

      expect(t.forge.reactionsOn(command.id)).toEqual(["+1"]);
      await t.until("the comment says ready", () => t.sticky(pr).includes("✅ ready"), { state: () => t.sticky(pr) });
      await t.settled();
      expect(t.sticky(pr)).toContain(pushed.slice(0, 7));
      expect((await liveNamespace(t.kube, namespace))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(pushed);
      // The fork's commit got its status (on GitLab: under the MR's ref, the fork's branch is not in the project).
      expect(t.forge.statusesOf(pushed).at(-1)?.state).toBe("success");
      await stays("the later push to the fork is not deployed", () => !t.forge.downloads().includes(later), {
        forMs: 1500,
      });
      expect(t.forge.downloads()).toEqual([pushed]);
      expect(t.forge.stickyComments(pr)).toHaveLength(1);
    });

    it("deploys nothing for a /deploy on a closed PR it has no record of", async ({ t }) => {
      const pr = 24;
      const sha = newSha();
      await t.forge.push(sha, await previewRepo());
      t.forge.open(pr, { ref: "feature/abandoned", sha });
      t.forge.close(pr, { merged: false });
      t.forge.setRole("maintainer", "write");
      const command = t.forge.comment(pr, "maintainer", "/deploy");

      // The refusal is a reply, a write that may wait for the installation's pace: 202 is fine.
      await t.deliver(t.forge.commentEvent(pr, command), { replies: true });

      await t.until("the reply", () => t.forge.replies(pr).length > 0);
      expect(t.forge.replies(pr)).toEqual([
        expect.stringMatching(/^@maintainer .* is closed, so `\/deploy` does nothing/),
      ]);
      await t.settled();
      expect(t.sticky(pr)).not.toContain("✅ ready");
      expect(t.forge.downloads(), "the closed PR's sources were fetched for a deploy").toEqual([]);
      expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(false);
    });
  });

  // A second block: fewer tests at once share the installation's write budget (one a second).
  describe.concurrent(
    `/deploy's commit, quoted commands, readers and other bots on ${forge}`,
    SHARED_PACE_TIMEOUT,
    () => {
      it("deploys the commit /deploy <sha> names (abbreviated, an earlier commit of the PR), not the head", async ({
        t,
      }) => {
        const pr = 25;
        const [first, head] = [newSha(), newSha()];
        await openFork(t, pr, [first, head]);
        t.forge.setRole("maintainer", "maintain");

        const command = t.forge.comment(pr, "maintainer", `Reviewed the first commit.\n/deploy ${first.slice(0, 9)}`);
        await t.deliver(t.forge.commentEvent(pr, command));

        expect(t.forge.reactionsOn(command.id)).toEqual(["+1"]);
        await t.until("the comment says ready", () => t.sticky(pr).includes("✅ ready"), { state: () => t.sticky(pr) });
        await t.settled();
        expect((await liveNamespace(t.kube, t.forge.namespace(pr)))?.metadata?.annotations?.["prbox.dev/sha"]).toBe(
          first,
        );
        expect(t.forge.downloads()).toEqual([first]);
        expect(t.forge.replies(pr)).toEqual([]);
      });

      it("refuses /deploy <sha> naming no commit of the PR, and deploys nothing", async ({ t }) => {
        const pr = 26;
        const head = newSha();
        await openFork(t, pr, [head]);
        t.forge.setRole("maintainer", "maintain");
        const stranger = newSha();

        const command = t.forge.comment(pr, "maintainer", `/deploy ${stranger.slice(0, 7)}`);
        await t.deliver(t.forge.commentEvent(pr, command), { replies: true });
        await t.until("the reply", () => t.forge.replies(pr).length > 0);

        expect(t.forge.reactionsOn(command.id)).toEqual(["-1"]);
        expect(t.forge.replies(pr)).toEqual([
          expect.stringMatching(
            new RegExp(
              `^@maintainer \`${stranger.slice(0, 7)}\` is not a commit of .*its head is \`${head.slice(0, 7)}\``,
            ),
          ),
        ]);
        await t.settled();
        expect(t.forge.downloads()).toEqual([]);
        expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(false);
      });

      it("asks for the SHA when the head moved after the /deploy comment was written, and deploys nothing until given it", async ({
        t,
      }) => {
        const pr = 27;
        const [seen, pushedLater] = [newSha(), newSha()];
        await openFork(t, pr, [seen]);
        await t.forge.push(pushedLater, await previewRepo());
        t.forge.setRole("maintainer", "maintain");

        // The maintainer looked at `seen` and wrote /deploy; the fork's author pushed before prbox read the comment.
        const command = t.forge.comment(pr, "maintainer", "/deploy");
        t.forge.pushTo(pr, pushedLater);
        await t.deliver(t.forge.commentEvent(pr, command), { replies: true });
        await t.until("the reply", () => t.forge.replies(pr).length > 0);

        expect(t.forge.reactionsOn(command.id)).toEqual(["-1"]);
        expect(t.forge.replies(pr)).toEqual([
          expect.stringMatching(
            new RegExp(
              `^@maintainer .*\`${pushedLater.slice(0, 7)}\`, pushed after your comment.*\`/deploy ${pushedLater.slice(0, 7)}\``,
            ),
          ),
        ]);
        await t.deliver(t.forge.pullRequestEvent(pr, "synchronize"));
        await t.settled();
        expect(t.forge.downloads()).toEqual([]);
        expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(false);

        const again = t.forge.comment(pr, "maintainer", `/deploy ${pushedLater.slice(0, 7)}`);
        await t.deliver(t.forge.commentEvent(pr, again));
        await t.until("the comment says ready", () => t.sticky(pr).includes("✅ ready"), { state: () => t.sticky(pr) });
        await t.settled();
        expect(t.forge.downloads()).toEqual([pushedLater]);
      });

      it("ignores commands in code blocks, inline code and HTML comments, even a writer's", async ({ t }) => {
        const pr = 28;
        await openFork(t, pr, [newSha()]);
        const desiredBefore = await t.prbox.rt.store.getDesired(t.forge.environmentId(pr));
        t.forge.setRole("maintainer", "maintain");
        const quoted = [
          "To deploy, a maintainer writes:\n```\n/deploy\n```",
          "~~~markdown\n/deploy\n~~~",
          "Like this:\n\n    /deploy",
          "`/deploy` is what a maintainer would write",
          "<!--\n/deploy\n-->",
          "hidden <!-- \n/destroy --> text",
        ].map((body) => t.forge.comment(pr, "maintainer", body));

        for (const comment of quoted) await t.deliver(t.forge.commentEvent(pr, comment));

        for (const comment of quoted) expect(t.forge.reactionsOn(comment.id), comment.body).toEqual([]);
        expect(t.forge.replies(pr)).toEqual([]);
        expect(await t.prbox.rt.store.getDesired(t.forge.environmentId(pr))).toEqual(desiredBefore);
        expect(await t.prbox.pendingJobs()).not.toContain(t.forge.environmentId(pr));
        expect(t.forge.downloads()).toEqual([]);
      });

      it("answers a reader once per PR however many commands they write (one -1, one reply)", async ({ t }) => {
        const pr = 29;
        await openFork(t, pr, [newSha()]);
        t.forge.setRole("visitor", "read");
        const commands = Array.from({ length: 10 }, (_, i) =>
          t.forge.comment(pr, "visitor", i % 2 === 0 ? "/deploy" : "/reload"),
        );

        for (const [i, command] of commands.entries())
          await t.deliver(t.forge.commentEvent(pr, command), { replies: i === 0 });
        await t.until("the reply to the reader", () => t.forge.replies(pr).length > 0);

        expect(commands.map((command) => t.forge.reactionsOn(command.id))).toEqual([
          ["-1"],
          ...Array.from({ length: 9 }, () => []),
        ]);
        expect(t.forge.replies(pr)).toEqual([expect.stringMatching(/^@visitor .*`\/deploy`/)]);
        expect(await t.prbox.pendingJobs()).not.toContain(t.forge.environmentId(pr));
        expect(t.forge.downloads()).toEqual([]);
      });

      it("never edits another bot's comment that carries prbox's marker, and keeps one comment of its own", async ({
        t,
      }) => {
        const pr = 30;
        const sha = newSha();
        await t.forge.push(sha, await previewRepo());
        t.forge.open(pr, { ref: "patch-30", sha, fork: true, user: "contributor" });
        const copy = t.forge.botComment(
          pr,
          `${STICKY_MARKER}\n**prbox preview**: ✅ ready at https://phishing.example`,
        );

        await t.deliver(t.forge.pullRequestEvent(pr, "opened"));
        await t.until("prbox's own comment says a maintainer can /deploy", () => t.sticky(pr).includes("`/deploy`"), {
          state: () => t.sticky(pr),
        });
        await t.settled();

        const other = t.forge.comments(pr).find((c) => c.id === copy.id);
        expect(other?.history).toEqual([copy.body]);
        expect(t.forge.stickyComments(pr)).toHaveLength(1);
        expect(t.forge.stickyComments(pr)[0]?.id).not.toBe(copy.id);
      });
    },
  );

  // Alone, after the others: its eight writes (replies and reactions) would otherwise wait behind
  // theirs in the installation's write pace.
  describe(`/keep and /extend on ${forge}`, SHARED_PACE_TIMEOUT, () => {
    it("keeps a preview on a writer's /keep and /extend (+1 and a reply with how long), refuses a bad duration and a reader, and redeploys nothing", async ({
      t,
    }) => {
      const pr = 28;
      const sha = await openDeployed(t, pr);
      const envId = t.forge.environmentId(pr);
      t.forge.setRole("maintainer", "write");
      t.forge.setRole("visitor", "read");

      const extend = await commandReply(t, pr, "maintainer", "Still reviewing this.\n/extend 4d");
      expect(extend.reactions).toEqual(["+1"]);
      expect(extend.reply).toMatch(
        /^@maintainer this preview is now deleted on \w{3}, \d\d \w{3} \d{4} \d\d:\d\d UTC \(in 4 days\) unless something happens on this pull request before then \(a push restarts the countdown\)\.$/,
      );
      const extended = await t.prbox.rt.store.getDesired(envId);
      expect(Date.parse(extended?.keepUntil ?? "") - Date.parse(extended?.eventAt ?? "")).toBe(96 * 3_600_000);

      expect(await commandReply(t, pr, "maintainer", "/extend soon")).toEqual({
        reactions: ["-1"],
        reply:
          "@maintainer `soon` is not a duration /extend takes: write minutes, hours or days, e.g. `/extend 12h` or `/extend 3d` (at most 30d).",
      });

      const readerKeep = await commandReply(t, pr, "visitor", "/keep");
      expect(readerKeep.reactions).toEqual(["-1"]);
      expect(readerKeep.reply).toMatch(/^@visitor thanks! Only .* can run `\/keep`/);
      expect((await t.prbox.rt.store.getDesired(envId))?.keep).toBe(false);

      expect(await commandReply(t, pr, "maintainer", "/keep")).toEqual({
        reactions: ["+1"],
        reply:
          "@maintainer this preview is kept while the pull request is open: it is no longer deleted for inactivity.",
      });
      expect((await t.prbox.rt.store.getDesired(envId))?.keep).toBe(true);
      await t.settled();
      expect(t.forge.downloads()).toEqual([sha]);
    });
  });

  return it;
}
