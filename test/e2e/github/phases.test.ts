// How long each phase of a deploy took, as an operator sees it: one log line and a histogram.
import { describe, expect } from "vitest";
import { useGitHubApp } from "./support/prbox.js";
import { newSha, previewRepo } from "./support/sources.js";
import { pullRequestDelivery } from "./support/webhooks.js";

const it = useGitHubApp();
const PHASES = ["fetch", "render", "apply", "wait", "report"];

function phaseCount(metrics: string, phase: string): number {
  const line = metrics.split("\n").find((l) => l.startsWith(`prbox_deploy_phase_seconds_count{phase="${phase}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("deploy phase timing", () => {
  it("logs the time of each phase of a deploy and counts it in prbox_deploy_phase_seconds", async ({ t }) => {
    const pr = 31;
    const sha = newSha();
    await t.repo.push(sha, await previewRepo());
    t.repo.openPullRequest(pr, { ref: "feature/timed", sha });
    const before = await t.prbox.metrics();

    await t.deliver(pullRequestDelivery(t.repo, pr, "opened"));
    await t.until("the comment says ready", () => t.sticky(pr).includes("✅ ready"), { state: () => t.sticky(pr) });
    await t.settled();

    const after = await t.prbox.metrics();
    for (const phase of PHASES) expect(phaseCount(after, phase), phase).toBe(phaseCount(before, phase) + 1);
    const line = t.prbox
      .logs()
      .split("\n")
      .find((l) => l.includes('"environment ready"') && l.includes(t.environment(pr)));
    const logged = JSON.parse(line ?? "{}") as { ms?: Record<string, number>; objects?: number };
    expect(Object.keys(logged.ms ?? {}).sort()).toEqual([...PHASES].sort());
    for (const phase of PHASES) expect(logged.ms?.[phase], phase).toBeGreaterThanOrEqual(0);
    expect(logged.objects).toBeGreaterThan(0);
  });
});
