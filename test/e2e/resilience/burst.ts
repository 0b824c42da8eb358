// A burst of "opened" deliveries while Redis fails (redis-restart.test.ts, sentinel.test.ts): the
// PRs wait for a label, so each reconcile is a report on the PR, not a deploy, and the burst tests
// the edge and the queue, not the cluster.
import { expect } from "vitest";
import { prEnvironmentId } from "../../../src/spec/naming.js";
import type { PreviewTest } from "../github/support/prbox.js";
import { newSha, previewRepo } from "../github/support/sources.js";
import { pullRequestDelivery, type DeliveryAnswer } from "../github/support/webhooks.js";

export async function openPullRequests(t: PreviewTest, count: number): Promise<void> {
  const files = await previewRepo();
  for (let pr = 1; pr <= count; pr++) {
    const sha = newSha();
    await t.repo.push(sha, files);
    t.repo.openPullRequest(pr, { ref: `feature/${pr}`, sha });
  }
}

/**
 * Sends each PR's "opened" delivery, `parallel` at a time, pausing `pauseMs` after each so that
 * the fault `during` injects falls inside the burst. Every answer is kept, whatever its status.
 */
export async function sendBurst(
  t: PreviewTest,
  options: { parallel: number; pauseMs: number; during: (answers: Map<number, DeliveryAnswer>) => Promise<void> },
): Promise<Map<number, DeliveryAnswer>> {
  const answers = new Map<number, DeliveryAnswer>();
  const prs = t.repo.pulls.size;
  let next = 1;
  const sender = async () => {
    for (let pr = next++; pr <= prs; pr = next++) {
      answers.set(pr, await t.send(pullRequestDelivery(t.repo, pr, "opened")));
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  await Promise.all([options.during(answers), ...Array.from({ length: options.parallel }, sender)]);
  const statuses = [...answers.values()].map((a) => a.status);
  expect(
    statuses.every((s) => s === 200 || s >= 500),
    `answers: ${statuses.join(" ")}`,
  ).toBe(true);
  return answers;
}

/** Every delivery answered 200 is in Redis as its PR's desired state. */
export async function expectAcknowledgedKept(t: PreviewTest, answers: Map<number, DeliveryAnswer>): Promise<void> {
  for (const [pr, answer] of answers) {
    if (answer.status !== 200) continue;
    const desired = await t.prbox.rt.store.getDesired(prEnvironmentId("github", t.repo.fullName, pr));
    expect(desired?.sha, `PR #${pr}: its delivery was answered 200`).toBe(t.repo.pull(pr).head.sha);
  }
}

/**
 * GitHub's redelivery of each failed delivery is processed (not taken for a duplicate, though the
 * failed attempt may have got as far as recording its id), and then every PR gets its one report.
 */
export async function redeliverAndExpectReports(t: PreviewTest, answers: Map<number, DeliveryAnswer>): Promise<void> {
  for (const [pr, answer] of answers) {
    if (answer.status === 200) continue;
    const again = await t.send(pullRequestDelivery(t.repo, pr, "opened"), { id: answer.id });
    expect(again.status, `redelivery of PR #${pr}`).toBe(200);
    const desired = await t.prbox.rt.store.getDesired(prEnvironmentId("github", t.repo.fullName, pr));
    expect(desired?.sha, `PR #${pr}: its redelivery was answered 200`).toBe(t.repo.pull(pr).head.sha);
  }
  await t.until(
    "every PR got its report",
    () => [...t.repo.pulls.keys()].every((pr) => t.sticky(pr).includes("not deployed")),
    {
      timeoutMs: 120_000,
      state: () => [...t.repo.pulls.keys()].filter((pr) => !t.sticky(pr).includes("not deployed")),
    },
  );
  for (const pr of t.repo.pulls.keys()) expect(t.stickyComments(pr), `PR #${pr}`).toHaveLength(1);
}
