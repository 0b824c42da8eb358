// Steps several shared tests take on the way to what they are about.
import { newSha, previewRepo } from "../github/support/sources.js";
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
