// Steps several shared tests take on the way to what they are about.
import { sweep, type SweepResult, type SweepStore } from "../../../src/core/sweep.js";
import { silentLogger } from "../../../src/log.js";
import { newSha, previewRepo, type Files } from "../github/support/sources.js";
import type { PipelineTest } from "./support/pipeline.js";

/** Opens PR `pr` at a new commit of fixtures/preview-repo and waits until its preview is ready. */
export async function openDeployed(t: PipelineTest, pr: number): Promise<string> {
  const sha = newSha();
  await t.forge.push(sha, await previewRepo());
  t.forge.open(pr, { ref: `feature/pr-${pr}`, sha });
  await t.deliver(t.forge.pullRequestEvent(pr, "opened"));
  await t.until(`the comment of #${pr} says ready`, () => t.sticky(pr).includes("✅ ready"), {
    state: () => t.sticky(pr),
  });
  await t.settled();
  return sha;
}

/** Pushes `files` as a new commit of PR `pr` and waits until the comment says ready at it. */
export async function pushReady(t: PipelineTest, pr: number, files: Files): Promise<string> {
  const sha = newSha();
  await t.forge.push(sha, files);
  t.forge.pushTo(pr, sha);
  await t.deliver(t.forge.pullRequestEvent(pr, "synchronize"));
  await t.until(
    "the comment says ready at the new commit",
    () => t.sticky(pr).includes("✅ ready") && t.sticky(pr).includes(sha.slice(0, 7)),
    { state: () => t.sticky(pr) },
  );
  return sha;
}

/** `user` comments `body` on PR `pr` and waits for prbox's reply: the reply, and the reactions on the comment. */
export async function commandReply(
  t: PipelineTest,
  pr: number,
  user: string,
  body: string,
): Promise<{ reply: string; reactions: string[] }> {
  const before = t.forge.replies(pr).length;
  const comment = t.forge.comment(pr, user, body);
  await t.deliver(t.forge.commentEvent(pr, comment), { replies: true });
  await t.until(`the reply to ${JSON.stringify(body)}`, () => t.forge.replies(pr).length > before);
  return { reply: t.forge.replies(pr)[before] ?? "", reactions: t.forge.reactionsOn(comment.id) };
}

/** One sweep of `envId` alone (or of these environments), at the time `at` (ms). */
export async function sweepAt(t: PipelineTest, envId: string | string[], at: number): Promise<SweepResult> {
  const { store, queue, forges, config } = t.prbox.rt;
  const ids = new Set([envId].flat());
  const mine: SweepStore = {
    listDesired: async () => (await store.listDesired()).filter((desired) => ids.has(desired.envId)),
    getObserved: (id) => store.getObserved(id),
    updateDesired: (id, fn) => store.updateDesired(id, fn),
    forget: (id, options) => store.forget(id, options),
  };
  return sweep({ store: mine, queue, forges, policy: config.policy, log: silentLogger, now: () => new Date(at) });
}

/** When the last event the environment's desired state took in happened (the countdown's start). */
export async function lastEvent(t: PipelineTest, pr: number): Promise<number> {
  const desired = await t.prbox.rt.store.getDesired(t.forge.environmentId(pr));
  return Date.parse(desired?.eventAt ?? "");
}
