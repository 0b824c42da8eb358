// The life of a PR's preview on GitHub: the shared suite (test/pipeline/lifecycle.suite.ts), and
// what only GitHub has: the app's own credentials.
import { describe, expect } from "vitest";
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
