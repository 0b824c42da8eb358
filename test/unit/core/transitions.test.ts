import { describe, expect, it } from "vitest";
import type { DesiredState } from "../../../src/core/desired.js";
import { nextDesired } from "../../../src/core/transitions.js";
import type { CommandEvent, ForgeEvent, PullRequestEvent } from "../../../src/core/events.js";

const ref = { forge: "github" as const, repo: "acme/shop", pr: 7, target: "1" };
const open: { requiredLabel: string | null; deployForks: boolean } = { requiredLabel: null, deployForks: false };
let clock = 0;
const tick = () => new Date(Date.UTC(2026, 10, 22, 10, 0, clock++)).toISOString();

function pr(
  action: PullRequestEvent["action"],
  sha: string,
  extra: Partial<PullRequestEvent["head"]> = {},
  at = tick(),
): PullRequestEvent {
  return {
    kind: "pull_request",
    action,
    ref,
    head: { branch: "feature", sha, fork: false, labels: [], ...extra },
    merged: false,
    at,
  };
}

let comments = 0;
function command(name: CommandEvent["command"], sha: string, extra: Partial<CommandEvent["head"]> = {}): CommandEvent {
  return {
    kind: "command",
    command: name,
    ref,
    user: "maintainer",
    commentId: String(++comments),
    head: { branch: "feature", sha, fork: false, labels: [], ...extra },
    at: tick(),
  };
}

function play(events: ForgeEvent[], policy = open): DesiredState | null {
  return events.reduce<DesiredState | null>((state, event) => nextDesired(state, event, "env-1", policy), null);
}

describe("desired state transitions", () => {
  it("deploys an opened PR at its head and follows pushes", () => {
    expect(play([pr("opened", "a1")])).toMatchObject({ action: "deploy", sha: "a1", closed: false });
    expect(play([pr("opened", "a1"), pr("synchronize", "b2")])).toMatchObject({ action: "deploy", sha: "b2" });
  });

  it("destroys on close, and a late push delivered after the close does not bring it back", () => {
    const pushAt = tick();
    const closed = play([pr("opened", "a1"), pr("closed", "a1")]);
    expect(closed).toMatchObject({ action: "destroy", closed: true });
    expect(nextDesired(closed, pr("synchronize", "b2", {}, pushAt), "env-1", open)).toBe(closed);
    expect(nextDesired(closed, pr("synchronize", "b2"), "env-1", open)).toBe(closed);
    expect(nextDesired(closed, command("reload", "b2"), "env-1", open)).toBe(closed);
  });

  it("brings the environment back when the PR is reopened", () => {
    expect(play([pr("opened", "a1"), pr("closed", "a1"), pr("reopened", "c3")])).toMatchObject({
      action: "deploy",
      sha: "c3",
      closed: false,
    });
  });

  it("ignores an event older than the last one applied", () => {
    const older = tick();
    const state = play([pr("opened", "a1"), pr("synchronize", "b2")]);
    expect(nextDesired(state, pr("synchronize", "old", {}, older), "env-1", open)).toBe(state);
  });

  it("holds a fork PR until a maintainer's /deploy, which pins the head it saw", () => {
    const fork = { fork: true };
    const waiting = play([pr("opened", "f1", fork)]);
    expect(waiting).toMatchObject({ action: "wait", waitReason: expect.stringContaining("/deploy") });
    const approved = nextDesired(waiting, command("deploy", "f1", fork), "env-1", open);
    expect(approved).toMatchObject({ action: "deploy", sha: "f1", forkApprovedSha: "f1" });
    const pushed = nextDesired(approved, pr("synchronize", "f2-untrusted", fork), "env-1", open);
    expect(pushed).toMatchObject({ action: "deploy", sha: "f1" });
  });

  it("deploys forks directly when the operator allows it", () => {
    expect(play([pr("opened", "f1", { fork: true })], { requiredLabel: null, deployForks: true })).toMatchObject({
      action: "deploy",
      sha: "f1",
    });
  });

  it("waits for the required label and deploys once it is added", () => {
    const policy = { requiredLabel: "preview", deployForks: false };
    const waiting = play([pr("opened", "a1")], policy);
    expect(waiting).toMatchObject({ action: "wait", waitReason: "add the label `preview` to deploy a preview" });
    expect(nextDesired(waiting, pr("labeled", "a1", { labels: ["preview"] }), "env-1", policy)).toMatchObject({
      action: "deploy",
    });
  });

  it("waits for the required checks of the head commit and deploys once they passed", () => {
    const policy = { requiredLabel: null, deployForks: false, requiredChecks: ["build"] };
    const checks = (sha: string, passed: boolean) => ({
      kind: "checks" as const,
      ref,
      sha,
      passed,
      summary: passed ? "ok" : "the check build failed",
      at: tick(),
    });
    const waiting = play([pr("opened", "a1")], policy);
    expect(waiting).toMatchObject({ action: "wait", waitReason: "waiting for the checks build to pass on `a1`" });
    expect(nextDesired(waiting, checks("zz", true), "env-1", policy)).toBe(waiting);
    expect(nextDesired(waiting, checks("a1", false), "env-1", policy)).toMatchObject({
      action: "wait",
      waitReason: "the check build failed",
    });
    const passed = nextDesired(waiting, checks("a1", true), "env-1", policy);
    expect(passed).toMatchObject({ action: "deploy", sha: "a1", checksPassedSha: "a1" });
    expect(nextDesired(passed, pr("synchronize", "b2"), "env-1", policy)).toMatchObject({ action: "wait", sha: "b2" });
  });

  it("counts /reload requests and rebuilds at the current head", () => {
    const state = play([pr("opened", "a1"), command("reload", "b2"), command("reload", "b2")]);
    expect(state).toMatchObject({ action: "deploy", sha: "b2", reloadRequest: 2 });
  });

  it("counts a redelivered command comment once", () => {
    const reload = command("reload", "a1");
    expect(play([pr("opened", "a1"), reload, { ...reload, at: tick() }])).toMatchObject({ reloadRequest: 1 });
  });

  it("keeps the label gate on /reload, from the labels pull_request events reported", () => {
    const policy = { requiredLabel: "preview", deployForks: false };
    const labelled = play([pr("opened", "a1", { labels: ["preview"] }), command("reload", "b2")], policy);
    expect(labelled).toMatchObject({ action: "deploy", sha: "b2" });
  });

  it("destroys on /destroy and deploys again on the next push", () => {
    const destroyed = play([pr("opened", "a1"), command("destroy", "a1")]);
    expect(destroyed).toMatchObject({ action: "destroy", closed: false });
    expect(nextDesired(destroyed, pr("synchronize", "b2"), "env-1", open)).toMatchObject({
      action: "deploy",
      sha: "b2",
    });
  });

  it("wakes a sleeping preview on any event or command, /wake included; a visit's wokeAt is carried", () => {
    const asleep = {
      ...(play([pr("opened", "a1")]) as DesiredState),
      sleepSince: tick(),
      wokeAt: "2026-11-22T09:00:00.000Z",
    };
    for (const event of [pr("synchronize", "b2"), pr("labeled", "a1"), command("wake", "a1"), command("keep", "a1")]) {
      const next = nextDesired(asleep, event, "env-1", open);
      expect(next, event.kind === "command" ? event.command : event.action).toMatchObject({
        sleepSince: null,
        eventAt: event.at,
      });
      expect(next?.wokeAt).toBe(asleep.wokeAt);
    }
    // /wake changes nothing else: no deploy of another commit, no rebuild.
    expect(nextDesired(asleep, command("wake", "c3"), "env-1", open)).toMatchObject({
      action: "deploy",
      sha: "a1",
      reloadRequest: 0,
    });
    // An older delivery is no activity: it is ignored, and the preview sleeps on.
    const late = pr("synchronize", "b2", {}, "2026-11-01T00:00:00.000Z");
    expect(nextDesired(asleep, late, "env-1", open)).toBe(asleep);
  });

  it("takes a command on a PR it never saw from the command's head", () => {
    expect(play([command("reload", "a1")])).toMatchObject({ action: "deploy", sha: "a1", reloadRequest: 1 });
    expect(play([command("destroy", "a1")])).toMatchObject({ action: "destroy" });
  });

  it("ignores label changes of PRs it never saw", () => {
    expect(play([pr("labeled", "a1", { labels: ["x"] })])).toBeNull();
  });

  it("keeps a closed PR closed when its close is delivered before its open", () => {
    const openedAt = tick();
    const closed = play([pr("closed", "a1")]);
    expect(closed).toMatchObject({ action: "destroy", closed: true });
    expect(nextDesired(closed, pr("opened", "a1", {}, openedAt), "env-1", open)).toBe(closed);
  });
});
