// Steps several tests take on the way to what they are about.
import type { PreviewTest } from "./prbox.js";
import { newSha, previewRepo } from "./sources.js";
import { pullRequestDelivery } from "./webhooks.js";

/** Opens PR `pr` at a new commit of fixtures/preview-repo and waits until its preview is ready. */
export async function openDeployed(t: PreviewTest, pr: number): Promise<string> {
  const sha = newSha();
  await t.repo.push(sha, await previewRepo());
  t.repo.openPullRequest(pr, { ref: `feature/pr-${pr}`, sha });
  await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));
  await t.until(`the comment of #${pr} says ready`, () => t.sticky(pr).includes("✅ ready"), { state: () => t.sticky(pr) });
  await t.settled();
  return sha;
}
