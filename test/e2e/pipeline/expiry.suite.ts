// Idle previews on either forge (ADR 26): the sweep's warning before PRBOX_IDLE_TTL deletes a
// preview, the deletion, /keep and /extend, and a push or /deploy bringing a deleted preview back.
// The real server, worker, Redis and cluster; the sweep is prbox's own, called with a clock moved
// ahead (it never sleeps), on this test's environment only (the suite's tests share the store).
import { describe, expect } from "vitest";
import type { ForgeName } from "../../../src/core/forge.js";
import { namespaceExists } from "../github/support/cluster.js";
import { previewRepo } from "../github/support/sources.js";
import { commandReply, lastEvent, openDeployed, pushReady, sweepAt } from "./flows.js";
import type { PipelineTest } from "./support/pipeline.js";
import { SHARED_PACE_TIMEOUT, usePipeline } from "./support/pipeline.js";

const HOUR = 3_600_000;
const DELETED = "Push a commit or comment `/deploy` to deploy it again.";

async function waitDeleted(t: PipelineTest, pr: number): Promise<void> {
  await t.until("the comment says the preview was deleted", () => t.sticky(pr).includes(DELETED), {
    state: () => t.sticky(pr),
  });
  await t.until("the namespace is gone", async () => !(await namespaceExists(t.kube, t.forge.namespace(pr))));
  await t.settled();
}

export function expirySuite(forge: ForgeName) {
  const it = usePipeline(forge, { env: { PRBOX_IDLE_TTL: "24h", PRBOX_EXPIRY_WARNING: "6h" } });

  describe.concurrent(`idle previews on ${forge}`, SHARED_PACE_TIMEOUT, () => {
    it("warns once, 6 h before the idle TTL, keeping the comment; deletes at the TTL; a push brings it back, then /deploy does", async ({
      t,
    }) => {
      const pr = 41;
      await openDeployed(t, pr);
      const envId = t.forge.environmentId(pr);
      const url = `https://pr-${pr}.preview.example.com`;
      const sticky = t.sticky(pr);
      const start = await lastEvent(t, pr);

      expect(await sweepAt(t, envId, start + 18 * HOUR - 60_000)).toMatchObject({ warned: [], idle: [] });
      expect(await sweepAt(t, envId, start + 18 * HOUR)).toMatchObject({ warned: [envId], idle: [] });
      await t.until("the warning", () => t.forge.replies(pr).length === 1);
      expect(t.forge.replies(pr)[0]).toMatch(
        /^⏰ This preview will be deleted on \w{3}, \d\d \w{3} \d{4} \d\d:\d\d UTC \(in 6 hours\): nothing happened on this pull request for 24 hours by then\.\n\nA push restarts the countdown; a writer can comment `\/keep` .* or `\/extend 3d` /,
      );
      // The warning is a comment of its own: the sticky comment (the preview's URL) is as it was.
      expect(t.sticky(pr)).toBe(sticky);
      expect(t.sticky(pr)).toContain(url);
      expect(await sweepAt(t, envId, start + 23 * HOUR)).toMatchObject({ warned: [], idle: [] });

      expect(await sweepAt(t, envId, start + 24 * HOUR)).toMatchObject({ warned: [], idle: [envId] });
      await waitDeleted(t, pr);
      expect(t.forge.replies(pr)).toHaveLength(1);

      await pushReady(t, pr, await previewRepo());
      expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(true);
      expect(t.sticky(pr)).toContain(url);
      await t.settled();

      expect(await sweepAt(t, envId, (await lastEvent(t, pr)) + 24 * HOUR)).toMatchObject({ idle: [envId] });
      await waitDeleted(t, pr);
      t.forge.setRole("maintainer", "write");
      const deploy = t.forge.comment(pr, "maintainer", "/deploy");
      await t.deliver(t.forge.commentEvent(pr, deploy));
      expect(t.forge.reactionsOn(deploy.id)).toEqual(["+1"]);
      await t.until("the comment says ready again", () => t.sticky(pr).includes("✅ ready"), {
        state: () => t.sticky(pr),
      });
      expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(true);
    });

    it("moves the deletion on a writer's /extend 2d, refuses one over 30 days, and deletes at the new deadline", async ({
      t,
    }) => {
      const pr = 42;
      await openDeployed(t, pr);
      const envId = t.forge.environmentId(pr);
      t.forge.setRole("maintainer", "write");

      expect(await commandReply(t, pr, "maintainer", "/extend 45d")).toEqual({
        reactions: ["-1"],
        reply:
          "@maintainer `45d` is longer than /extend allows: write minutes, hours or days, e.g. `/extend 12h` or `/extend 3d` (at most 30d).",
      });
      const extend = await commandReply(t, pr, "maintainer", "/extend 2d");
      expect(extend.reactions).toEqual(["+1"]);
      expect(extend.reply).toMatch(/^@maintainer this preview is now deleted on .* \(in 2 days\) unless/);
      const said = await lastEvent(t, pr);

      // Without the extension, 24 h after the command would delete it.
      expect(await sweepAt(t, envId, said + 25 * HOUR)).toMatchObject({ warned: [], idle: [] });
      expect(await sweepAt(t, envId, said + 42 * HOUR)).toMatchObject({ warned: [envId], idle: [] });
      await t.until("the warning", () => t.forge.replies(pr).length === 3);
      expect(t.forge.replies(pr)[2]).toMatch(/^⏰ This preview will be deleted on .* \(in 6 hours\)/);
      expect(await sweepAt(t, envId, said + 48 * HOUR - 60_000)).toMatchObject({ idle: [] });
      expect(await sweepAt(t, envId, said + 48 * HOUR)).toMatchObject({ idle: [envId] });
      await waitDeleted(t, pr);
    });

    it("never deletes a preview a writer kept with /keep; a reader's /keep is refused and changes nothing", async ({
      t,
    }) => {
      const pr = 43;
      await openDeployed(t, pr);
      const envId = t.forge.environmentId(pr);
      t.forge.setRole("visitor", "read");
      t.forge.setRole("maintainer", "write");

      const start = await lastEvent(t, pr);
      const readerKeep = await commandReply(t, pr, "visitor", "/keep");
      expect(readerKeep.reactions).toEqual(["-1"]);
      expect(readerKeep.reply).toMatch(/^@visitor thanks! Only .* can run `\/keep`; a maintainer can run it/);
      // The reader's /keep changed nothing: the countdown from the last event still warns.
      expect(await sweepAt(t, envId, start + 18 * HOUR)).toMatchObject({ warned: [envId], idle: [] });
      await t.until("the warning", () => t.forge.replies(pr).length === 2);

      expect(await commandReply(t, pr, "maintainer", "/keep")).toEqual({
        reactions: ["+1"],
        reply:
          "@maintainer this preview is kept while the pull request is open: it is no longer deleted for inactivity.",
      });
      const said = await lastEvent(t, pr);
      expect(await sweepAt(t, envId, said + 30 * 24 * HOUR)).toMatchObject({ warned: [], idle: [] });
      await t.settled();
      expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(true);
      expect(t.sticky(pr)).toContain("✅ ready");
      expect(t.forge.replies(pr)).toHaveLength(3);
    });
  });
}
