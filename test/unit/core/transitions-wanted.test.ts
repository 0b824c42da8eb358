// The "only where wanted" rules of the transitions (src/core/wanted.ts through nextDesired): a
// draft, a bot's PR, the no-preview label and path filters each keep a PR without a preview and
// say why; marking it ready, removing the label or a maintainer's /deploy deploys it.
import { describe, expect, it } from "vitest";
import type { DesiredState } from "../../../src/core/desired.js";
import { nextDesired } from "../../../src/core/transitions.js";
import type { CommandEvent, ForgeEvent, HeadCommit, PullRequestEvent } from "../../../src/core/events.js";

const ref = { forge: "github" as const, repo: "acme/shop", pr: 7, target: "1" };
const human = { login: "alice", bot: false };
const policy: {
  requiredLabel: null;
  deployForks: boolean;
  skipDrafts: boolean;
  skipBots: boolean;
  botAuthors: string[];
  skipLabel: string | null;
  paths: string[];
} = {
  requiredLabel: null,
  deployForks: false,
  skipDrafts: true,
  skipBots: true,
  botAuthors: ["*[bot]", "*-bot", "renovate"],
  skipLabel: "no-preview",
  paths: ["src/**", "charts/**", "!**/*.md"],
};
type Policy = typeof policy;

let clock = 0;
const tick = () => new Date(Date.UTC(2026, 11, 3, 9, 0, clock++)).toISOString();

function pr(
  action: PullRequestEvent["action"],
  sha: string,
  head: Partial<HeadCommit> = {},
  changed?: string[],
): PullRequestEvent {
  return {
    kind: "pull_request",
    action,
    ref,
    head: { branch: "feature", sha, fork: false, labels: [], draft: false, author: human, ...head },
    merged: false,
    ...(changed ? { changedFiles: { sha, paths: changed, complete: true } } : {}),
    at: tick(),
  };
}

let comments = 0;
function command(name: CommandEvent["command"], sha: string): CommandEvent {
  return {
    kind: "command",
    command: name,
    ref,
    user: "maintainer",
    commentId: String(++comments),
    head: { branch: "feature", sha, fork: false, labels: [] },
    at: tick(),
  };
}

function play(events: ForgeEvent[], p: Partial<Policy> = policy): DesiredState | null {
  const full = { requiredLabel: null, deployForks: false, ...p };
  return events.reduce<DesiredState | null>((state, event) => nextDesired(state, event, "env-1", full), null);
}

const code = ["src/app.ts"];

describe("previews only where wanted", () => {
  // Each rule alone: the event, and what the PR is told.
  const held: [string, ForgeEvent[], string, "wait" | "destroy"][] = [
    [
      "a draft",
      [pr("opened", "a1", { draft: true }, code)],
      "is a draft: mark it as ready, or comment `/deploy`",
      "wait",
    ],
    [
      "a bot the forge marks",
      [pr("opened", "a1", { author: { login: "dependabot[bot]", bot: true } }, code)],
      "opened by the bot `dependabot[bot]`: a maintainer can deploy it with `/deploy`",
      "wait",
    ],
    [
      "a login in the bot list (GitLab's renovate-bot user)",
      [pr("opened", "a1", { author: { login: "Renovate-Bot", bot: false } }, code)],
      "opened by the bot `Renovate-Bot`",
      "wait",
    ],
    [
      "the no-preview label",
      [pr("opened", "a1", { labels: ["no-preview"] }, code)],
      "the label `no-preview` asks for no preview: remove it, or comment `/deploy`, to get one",
      "destroy",
    ],
    [
      "changes outside the path filters",
      [pr("opened", "a1", {}, ["docs/guide.md", "README.md"])],
      "changes no file that needs a preview (`src/**`, `charts/**`, `!**/*.md`): a maintainer can deploy it with `/deploy`",
      "wait",
    ],
    [
      "changes the filters exclude",
      [pr("opened", "a1", {}, ["src/README.md"])],
      "changes no file that needs a preview",
      "wait",
    ],
  ];
  it.each(held)("keeps %s without a preview and says why", (_what, events, reason, action) => {
    const state = play(events);
    expect(state).toMatchObject({ action, closed: false, sha: "a1" });
    expect(state?.waitReason).toContain(reason);
  });

  // The same PRs with the rule switched off deploy.
  const off: [string, ForgeEvent, Partial<Policy>][] = [
    ["drafts", pr("opened", "a1", { draft: true }), { skipDrafts: false }],
    ["bots", pr("opened", "a1", { author: { login: "dependabot[bot]", bot: true } }), { skipBots: false }],
    ["the label", pr("opened", "a1", { labels: ["no-preview"] }), { skipLabel: null }],
    ["path filters", pr("opened", "a1", {}, ["docs/guide.md"]), { paths: [] }],
  ];
  it.each(off)("deploys when the operator does not skip %s", (_what, event, change) => {
    expect(play([event], { ...policy, ...change })).toMatchObject({ action: "deploy", waitReason: null });
  });

  it("deploys a PR that changes one file the filters want, and one whose files were not read", () => {
    expect(play([pr("opened", "a1", {}, ["docs/a.md", "charts/app/values.yaml"])])).toMatchObject({
      action: "deploy",
    });
    expect(play([pr("opened", "a1")])).toMatchObject({ action: "deploy" });
  });

  it("deploys when the forge cut the list of files and none listed matched", () => {
    const cut: PullRequestEvent = {
      ...pr("opened", "a1"),
      changedFiles: { sha: "a1", paths: ["docs/a.md"], complete: false },
    };
    expect(play([cut])).toMatchObject({ action: "deploy" });
  });

  it("takes a path verdict for the head it was read for only", () => {
    const docs = play([pr("opened", "a1", {}, ["docs/a.md"])]);
    expect(docs).toMatchObject({ action: "wait", paths: { sha: "a1", matched: false } });
    // A push whose files were not read (the forge did not answer): the old verdict is not this head's.
    expect(nextDesired(docs, pr("synchronize", "b2"), "env-1", policy)).toMatchObject({ action: "deploy", sha: "b2" });
    expect(nextDesired(docs, pr("synchronize", "b2", {}, ["src/x.ts"]), "env-1", policy)).toMatchObject({
      action: "deploy",
      paths: { sha: "b2", matched: true },
    });
  });

  it("deploys a draft once it is marked ready for review", () => {
    const draft = play([pr("opened", "a1", { draft: true })]);
    expect(draft).toMatchObject({ action: "wait", draft: true });
    expect(nextDesired(draft, pr("ready_for_review", "a1", { draft: false }), "env-1", policy)).toMatchObject({
      action: "deploy",
      sha: "a1",
      draft: false,
      waitReason: null,
    });
  });

  it("keeps a running preview when the PR goes back to draft, and holds its next commits", () => {
    const deployed = play([pr("opened", "a1")]);
    const drafted = nextDesired(deployed, pr("converted_to_draft", "a1", { draft: true }), "env-1", policy);
    expect(drafted).toMatchObject({ action: "deploy", sha: "a1", draft: true });
    expect(nextDesired(drafted, pr("synchronize", "b2", { draft: true }), "env-1", policy)).toMatchObject({
      action: "wait",
      sha: "b2",
      waitReason: expect.stringContaining("draft"),
    });
  });

  it("keeps what it knew of draft and author when an event does not say", () => {
    const bot = play([pr("opened", "a1", { author: { login: "renovate[bot]", bot: true }, draft: true })]);
    const silent = pr("synchronize", "b2");
    delete silent.head.author;
    delete silent.head.draft;
    expect(nextDesired(bot, silent, "env-1", policy)).toMatchObject({
      action: "wait",
      sha: "b2",
      draft: true,
      author: { login: "renovate[bot]" },
    });
  });

  it("deletes the preview when the no-preview label is added and deploys again when it is removed", () => {
    const deployed = play([pr("opened", "a1")]);
    const labelled = nextDesired(deployed, pr("labeled", "a1", { labels: ["no-preview"] }), "env-1", policy);
    expect(labelled).toMatchObject({
      action: "destroy",
      closed: false,
      waitReason: expect.stringContaining("no-preview"),
    });
    // Pushes while labelled keep it deleted; a command other than /deploy too.
    const pushed = nextDesired(labelled, pr("synchronize", "b2", { labels: ["no-preview"] }), "env-1", policy);
    expect(pushed).toMatchObject({ action: "destroy", sha: "b2" });
    expect(nextDesired(pushed, command("reload", "b2"), "env-1", policy)).toMatchObject({ action: "destroy" });
    expect(nextDesired(pushed, pr("unlabeled", "b2"), "env-1", policy)).toMatchObject({ action: "deploy", sha: "b2" });
  });

  it("lets a maintainer's /deploy opt the PR in for its later commits too", () => {
    const events = [pr("opened", "a1", { author: { login: "renovate[bot]", bot: true }, draft: true }, ["docs/a.md"])];
    const deployed = play([...events, command("deploy", "a1")]);
    expect(deployed).toMatchObject({ action: "deploy", sha: "a1", optedIn: true });
    const bot = { author: { login: "renovate[bot]", bot: true }, draft: true };
    expect(nextDesired(deployed, pr("synchronize", "b2", bot, ["docs/b.md"]), "env-1", policy)).toMatchObject({
      action: "deploy",
      sha: "b2",
    });
  });

  it("lets the no-preview label added after a /deploy win again", () => {
    const optedIn = play([pr("opened", "a1", { labels: ["no-preview"] }), command("deploy", "a1")]);
    expect(optedIn).toMatchObject({ action: "deploy", optedIn: true });
    // The label stays on and a push comes: still opted in.
    const pushed = nextDesired(optedIn, pr("synchronize", "b2", { labels: ["no-preview"] }), "env-1", policy);
    expect(pushed).toMatchObject({ action: "deploy", sha: "b2" });
    const removed = nextDesired(pushed, pr("unlabeled", "b2"), "env-1", policy);
    const added = nextDesired(removed, pr("labeled", "b2", { labels: ["no-preview"] }), "env-1", policy);
    expect(added).toMatchObject({ action: "destroy", optedIn: false });
  });

  it("keeps the fork rule after /deploy: a fork's next push needs another /deploy", () => {
    const fork = { fork: true, draft: true };
    const deployed = play([pr("opened", "f1", fork), command("deploy", "f1")]);
    expect(nextDesired(deployed, pr("synchronize", "f2", fork), "env-1", policy)).toMatchObject({
      action: "deploy",
      sha: "f1",
    });
  });

  it("names the no-preview label before the draft, the draft before the bot, the bot before the files", () => {
    const all = { labels: ["no-preview"], draft: true, author: { login: "x[bot]", bot: true } };
    expect(play([pr("opened", "a1", all, ["docs/a.md"])])?.waitReason).toContain("label");
    expect(play([pr("opened", "a1", { ...all, labels: [] }, ["docs/a.md"])])?.waitReason).toContain("draft");
    expect(play([pr("opened", "a1", { ...all, labels: [], draft: false }, ["docs/a.md"])])?.waitReason).toContain(
      "bot",
    );
  });

  it("ignores the rules where a policy does not set them (callers that predate them)", () => {
    const event = pr("opened", "a1", { draft: true, author: { login: "a[bot]", bot: true }, labels: ["no-preview"] });
    expect(play([event], {})).toMatchObject({ action: "deploy" });
  });
});
