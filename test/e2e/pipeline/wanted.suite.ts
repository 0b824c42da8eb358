// Previews only where wanted, on either forge: a draft, a bot's PR, the no-preview label and a
// path filter each keep a PR without a preview and say why in its comment; marking it ready,
// removing the label or a maintainer's /deploy then deploys it. The prbox of this suite runs
// with PRBOX_PATHS, so every PR's changed files are read through the forge's API.
import { describe, expect } from "vitest";
import type { ForgeName } from "../../../src/core/forge.js";
import { namespaceExists } from "../github/support/cluster.js";
import { newSha, previewRepo } from "../github/support/sources.js";
import { openDeployed } from "./flows.js";
import type { Head } from "./support/forge.js";
import type { PipelineTest } from "./support/pipeline.js";
import { SHARED_PACE_TIMEOUT, usePipeline } from "./support/pipeline.js";

const PATHS = "**,!docs/**";

/** Opens PR `pr` as `head` says and waits until its comment gives `reason`; nothing was deployed. */
async function openHeld(t: PipelineTest, pr: number, head: Omit<Head, "ref" | "sha">, reason: string) {
  const sha = newSha();
  await t.forge.push(sha, await previewRepo());
  t.forge.open(pr, { ref: `feature/pr-${pr}`, sha, ...head });
  await t.deliver(t.forge.pullRequestEvent(pr, "opened"));
  await t.until(`the comment of #${pr} says why it has no preview`, () => t.sticky(pr).includes(reason), {
    state: () => t.sticky(pr),
  });
  await t.settled();
  expect(t.sticky(pr)).toContain("⏸ not deployed: ");
  expect(t.forge.statusesOf(sha).at(-1)).toMatchObject({ state: "success" });
  expect(t.forge.statusesOf(sha).at(-1)?.description).toMatch(/^Preview not deployed: /);
  expect(t.forge.downloads()).toEqual([]);
  expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(false);
  return sha;
}

async function readyAt(t: PipelineTest, pr: number, sha: string): Promise<void> {
  await t.until(`the comment of #${pr} says ready`, () => t.sticky(pr).includes("✅ ready"), {
    state: () => t.sticky(pr),
  });
  await t.settled();
  expect(t.forge.downloads()).toContain(sha);
  expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(true);
  expect(t.forge.stickyComments(pr)).toHaveLength(1);
}

/** A maintainer comments /deploy. */
async function deployByMaintainer(t: PipelineTest, pr: number): Promise<void> {
  t.forge.setRole("maintainer", "write");
  const command = t.forge.comment(pr, "maintainer", "/deploy");
  await t.deliver(t.forge.commentEvent(pr, command));
  expect(t.forge.reactionsOn(command.id)).toEqual(["+1"]);
}

export function wantedSuite(forge: ForgeName) {
  const it = usePipeline(forge, { env: { PRBOX_PATHS: PATHS } });
  // A bot account of each forge: a GitHub App's bot user, a GitLab project access token's user.
  const bot = forge === "github" ? "renovate[bot]" : "project_77_bot_5e1d0c2a";

  describe.concurrent(`previews only where wanted on ${forge}`, SHARED_PACE_TIMEOUT, () => {
    it("keeps a draft without a preview, says so, and deploys it once marked ready", async ({ t }) => {
      const pr = 61;
      const sha = await openHeld(t, pr, { draft: true }, "this pull request is a draft: mark it as ready");
      await t.deliver(t.forge.markReady(pr));
      await readyAt(t, pr, sha);
    });

    it("keeps a bot's PR without a preview, says so, and deploys it on a maintainer's /deploy", async ({ t }) => {
      const pr = 62;
      const sha = await openHeld(
        t,
        pr,
        { user: bot, bot: true },
        `this pull request was opened by the bot \`${bot}\`: a maintainer can deploy it with \`/deploy\``,
      );
      await deployByMaintainer(t, pr);
      await readyAt(t, pr, sha);
    });

    it("keeps a PR that changes only files the path filter leaves out without a preview, and deploys it on /deploy", async ({
      t,
    }) => {
      const pr = 63;
      const sha = await openHeld(
        t,
        pr,
        { changes: ["docs/guide.md", "docs/images/flow.png"] },
        "this pull request changes no file that needs a preview (`**`, `!docs/**`)",
      );
      await deployByMaintainer(t, pr);
      await readyAt(t, pr, sha);
    });

    it("keeps a PR opened with the no-preview label without a preview, and deploys it once the label is removed", async ({
      t,
    }) => {
      const pr = 64;
      const sha = newSha();
      await t.forge.push(sha, await previewRepo());
      t.forge.open(pr, { ref: `feature/pr-${pr}`, sha });
      t.forge.setLabel(pr, "no-preview", true); // labelled before the opened event is made: it carries the label
      await t.deliver(t.forge.pullRequestEvent(pr, "opened"));
      const reason = "the label `no-preview` asks for no preview: remove it, or comment `/deploy`, to get one";
      await t.until("the comment says why", () => t.sticky(pr).includes(reason), { state: () => t.sticky(pr) });
      await t.settled();
      // Nothing ran, so nothing is "deleted".
      expect(t.sticky(pr)).toContain("⏸ not deployed: ");
      expect(t.forge.downloads()).toEqual([]);
      await t.deliver(t.forge.setLabel(pr, "no-preview", false));
      await readyAt(t, pr, sha);
    });

    it("deletes a running preview when the no-preview label is added, says why, and deploys again when it is removed", async ({
      t,
    }) => {
      const pr = 65;
      const sha = await openDeployed(t, pr);
      await t.deliver(t.forge.setLabel(pr, "no-preview", true));
      await t.until("the comment says the preview was deleted and why", () =>
        t.sticky(pr).includes("🧹 environment deleted (the label `no-preview` asks for no preview"),
      );
      await t.until("the namespace is gone", async () => !(await namespaceExists(t.kube, t.forge.namespace(pr))));
      await t.settled();
      await t.deliver(t.forge.setLabel(pr, "no-preview", false));
      await t.until(`the comment of #${pr} says ready again`, () => t.sticky(pr).includes("✅ ready"), {
        state: () => t.sticky(pr),
      });
      await t.settled();
      expect(await namespaceExists(t.kube, t.forge.namespace(pr))).toBe(true);
      expect(t.forge.downloads()).toEqual([sha, sha]);
    });
  });
}
