// The life of a PR's preview on GitHub: the shared suite (test/pipeline/lifecycle.suite.ts), and
// what only GitHub has: the app's own credentials and the check run.
import { describe, expect } from "vitest";
import { openDeployed } from "../pipeline/flows.js";
import { lifecycleSuite } from "../pipeline/lifecycle.suite.js";
import { newSha, previewRepo } from "./support/sources.js";

const it = lifecycleSuite("github");

describe("the GitHub App's credentials", () => {
  it("authenticates with the app's JWT and an installation token, and neither appears in a log line or in anything sent to GitHub", async ({
    t,
  }) => {
    const pr = 6;
    const sha = newSha();
    await t.forge.push(sha, await previewRepo());
    // A fork's PR: prbox writes to GitHub (comment, status) without deploying.
    t.forge.open(pr, { ref: "patch-6", sha, fork: true, user: "contributor" });

    await t.deliver(t.forge.pullRequestEvent(pr, "opened"));

    await t.until("the comment says a maintainer can /deploy", () => t.sticky(pr).includes("`/deploy`"), {
      state: () => t.sticky(pr),
    });
    await t.settled();
    expect([...t.github.credentials]).toEqual(
      expect.arrayContaining([t.prbox.installationToken, expect.stringMatching(/^eyJ/)]),
    );
    expect(t.prbox.logs()).toContain("/access_tokens");
    // The fixture checks after every test that no credential leaked; this test makes sure there were some.
  });
});

describe("the check run", () => {
  it('reports on a check run "prbox" beside the commit status once the deploy ends: success, with the PR comment as its summary', async ({
    t,
  }) => {
    const pr = 7;
    const sha = await openDeployed(t, pr);
    const repo = t.github.repositories.get(t.forge.repo.toLowerCase());
    const runs = repo?.checkRunsOf(sha) ?? [];
    // One run, written once: "deploying" was the commit status's alone.
    expect(runs).toHaveLength(1);
    expect(runs[0]?.history).toEqual(["completed/success"]);
    expect(runs[0]).toMatchObject({
      status: "completed",
      conclusion: "success",
      details_url: `https://pr-${pr}.preview.example.com/`,
      // The comment's body without the hidden marker that finds the comment again.
      output: {
        title: expect.stringMatching(/^Preview ready in \d+ s$/),
        summary: t.sticky(pr).replace(/^<!-- prbox:sticky -->\n/, ""),
      },
    });
  });

  it("deploys and sets the commit status when GitHub refuses the check run (an installation without checks: write), and says why in the log", async ({
    t,
  }) => {
    t.github.inject({
      method: "POST",
      path: new RegExp(`^/repos/${t.forge.repo}/check-runs$`, "i"),
      answer: [
        403,
        {
          message: "Resource not accessible by integration",
          documentation_url: "https://docs.github.com/rest/checks/runs#create-a-check-run",
          status: "403",
        },
      ],
      times: 1000,
    });
    const pr = 8;
    const sha = await openDeployed(t, pr);
    expect(t.forge.statusesOf(sha).at(-1)?.state).toBe("success");
    expect(t.github.repositories.get(t.forge.repo.toLowerCase())?.checkRunsOf(sha)).toEqual([]);
    expect(t.prbox.logs()).toContain('GitHub refused the check run \\"prbox\\" (403)');
  });
});
