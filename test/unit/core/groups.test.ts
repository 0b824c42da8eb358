// Who shares a preview with whom among the PRs of one branch (src/core/groups.ts, ADR 29), as
// tables: pure, no Redis, no forge.
import { describe, expect, it } from "vitest";
import type { DesiredState, ObservedState } from "../../../src/core/desired.js";
import {
  groupActivity,
  groupingOf,
  groupSection,
  hostsOf,
  sameBranch,
  sameMembers,
  type Candidate,
  type GroupMember,
} from "../../../src/core/groups.js";
import { desiredState } from "../../integration/queue/support.js";

/** What was last done for environment "x": deployed and ready, unless `extra` says otherwise. */
function observedState(extra: Partial<ObservedState> = {}): ObservedState {
  return {
    envId: "x",
    sha: "a".repeat(40),
    reloadRequest: 0,
    generation: 0,
    status: "ready",
    error: null,
    at: "",
    ...extra,
  };
}

/** The open PR `pr` of `repo` on branch "feature", gates passed unless `desired` says otherwise; `names`: the repositories its last render named (null: never rendered). */
function pr(repo: string, pr: number, names: string[] | null, desired: Partial<DesiredState> = {}): Candidate {
  const envId = `github-${repo.replace("/", "-")}-${pr}`;
  const observed = names === null ? null : observedState({ envId, sources: names });
  return { desired: desiredState(envId, { ref: { forge: "github", repo, pr, target: "1" }, ...desired }), observed };
}

const id = (c: Candidate) => c.desired.envId;

describe("hostsOf", () => {
  const web = pr("acme/web", 1, ["acme/api", "acme/worker"]);
  const api = pr("acme/api", 7, null);
  const worker = pr("acme/worker", 3, []);
  const other = pr("acme/other", 2, []);

  it("makes the PR that names the others' repositories their host", () => {
    expect(Object.fromEntries(hostsOf([api, web, worker, other]))).toEqual({
      [id(api)]: id(web),
      [id(worker)]: id(web),
    });
  });

  it("leaves out a PR that has not passed its gates (a fork waiting for /deploy)", () => {
    const fork = pr("acme/api", 8, null, { action: "wait", fork: true });
    expect(hostsOf([web, fork]).size).toBe(0);
  });

  it("keeps a host whose preview runs while it waits for checks, and a closed host with a preview", () => {
    const waiting = pr("acme/web", 1, ["acme/api"], { action: "wait" });
    const closed = pr("acme/web", 1, ["acme/api"], { action: "destroy", closed: true });
    const gone = {
      ...closed,
      observed: closed.observed && { ...closed.observed, sha: null, status: "destroyed" as const },
    };
    expect(hostsOf([waiting, api]).get(id(api))).toBe(id(waiting));
    expect(hostsOf([closed, api]).get(id(api))).toBe(id(closed));
    expect(hostsOf([gone, api]).size).toBe(0);
  });

  it("never takes a closed PR as a member", () => {
    expect(hostsOf([web, pr("acme/api", 7, null, { action: "destroy", closed: true })]).size).toBe(0);
  });

  it("lets the first of two PRs that name each other host, whichever asks", () => {
    const a = pr("acme/a", 1, ["acme/b"]);
    const b = pr("acme/b", 1, ["acme/a"]);
    expect(Object.fromEntries(hostsOf([b, a]))).toEqual({ [id(b)]: id(a) });
    expect(Object.fromEntries(hostsOf([a, b]))).toEqual({ [id(b)]: id(a) });
  });

  it("groups one level: in a chain a → b → c, b joins a and c stays alone", () => {
    const a = pr("acme/a", 1, ["acme/b"]);
    const b = pr("acme/b", 1, ["acme/c"]);
    const c = pr("acme/c", 1, []);
    expect(Object.fromEntries(hostsOf([a, b, c]))).toEqual({ [id(b)]: id(a) });
  });

  it("takes one PR per repository, and compares repository names without regard to case", () => {
    const host = pr("acme/web", 1, ["ACME/Api"]);
    const first = pr("acme/api", 4, null);
    const second = pr("acme/api", 5, null, { fork: true });
    expect(Object.fromEntries(hostsOf([host, second, first]))).toEqual({ [id(first)]: id(host) });
  });

  it("uses the names given for the PR being rendered", () => {
    const unrendered = pr("acme/web", 1, null);
    expect(hostsOf([unrendered, api]).size).toBe(0);
    expect(hostsOf([unrendered, api], { envId: id(unrendered), repositories: ["acme/api"] }).get(id(api))).toBe(
      id(unrendered),
    );
  });
});

describe("groupingOf", () => {
  it("says a member's host, and a host's members with the heads to take", () => {
    const web = pr("acme/web", 1, ["acme/api"]);
    const api = pr("acme/api", 7, null, { sha: "c".repeat(40) });
    expect(groupingOf(id(api), [web, api])).toEqual({ host: id(web), members: [] });
    expect(groupingOf(id(web), [web, api])).toEqual({
      host: null,
      members: [{ envId: id(api), ref: api.desired.ref, branch: "feature", sha: "c".repeat(40), joined: false }],
    });
    expect(groupingOf(id(web), [web])).toEqual({ host: null, members: [] });
    const joined = {
      ...api,
      observed: { ...web.observed!, envId: id(api), sha: null, status: "grouped" as const, host: id(web) },
    };
    expect(groupingOf(id(web), [web, joined]).members[0]?.joined).toBe(true);
  });
});

describe("sameBranch", () => {
  it("keeps the PRs of the same forge and head branch", () => {
    const self = desiredState("a", { branch: "feature" });
    const all = [
      self,
      desiredState("b", { branch: "feature", ref: { forge: "github", repo: "acme/api", pr: 2, target: "1" } }),
      desiredState("c", { branch: "other" }),
      desiredState("d", { branch: "feature", ref: { forge: "gitlab", repo: "acme/api", pr: 2, target: "9" } }),
    ];
    expect(sameBranch(self, all).map((d) => d.envId)).toEqual(["a", "b"]);
  });
});

describe("sameMembers", () => {
  const m = (envId: string, sha: string): GroupMember => ({
    envId,
    sha,
    branch: "feature",
    ref: { forge: "github", repo: "acme/api", pr: 1, target: "1" },
  });
  it.each([
    ["none and none", [], [], true],
    ["the same, in another order", [m("a", "1"), m("b", "2")], [m("b", "2"), m("a", "1")], true],
    ["a member pushed", [m("a", "1")], [m("a", "2")], false],
    ["a member joined", [m("a", "1")], [m("a", "1"), m("b", "2")], false],
    ["a member left", [m("a", "1"), m("b", "2")], [m("a", "1")], false],
    ["a member joined since the deploy took its head", [m("a", "1")], [{ ...m("a", "1"), joined: true }], false],
  ] as const)("%s", (_name, deployed, wanted, same) => {
    expect(sameMembers(deployed, wanted)).toBe(same);
  });
});

describe("groupSection", () => {
  it("lists the host first, marks the PR it is shown on and a closed host, each at its commit", () => {
    const host = {
      ref: { forge: "gitlab" as const, repo: "acme/web", pr: 1, target: "5" },
      sha: "1".repeat(40),
      closed: true,
    };
    const api: GroupMember = {
      envId: "x",
      ref: { forge: "gitlab", repo: "acme/api", pr: 7, target: "6" },
      branch: "feature",
      sha: "2".repeat(40),
    };
    const link = (ref: { repo: string; pr: number }) => `${ref.repo}!${ref.pr}`;
    expect(groupSection(host, [api], api.ref, link)).toBe(
      [
        "",
        "",
        "One preview for the pull requests of this branch in 2 repositories:",
        "- acme/web!1 (closed: its default branch) at `1111111`",
        "- acme/api!7 (this one) at `2222222`",
      ].join("\n"),
    );
    expect(groupSection(host, [], host.ref, link)).toBe("");
  });
});

describe("groupActivity", () => {
  const at = (eventAt: string, envId = "x") => desiredState(envId, { eventAt });
  const member = (envId: string): GroupMember => ({
    envId,
    sha: "b".repeat(40),
    branch: "feature",
    ref: { forge: "github", repo: "acme/api", pr: 1, target: "1" },
  });

  it("is a PR's own last event when it is alone", () => {
    expect(groupActivity(at("2026-12-01T10:00:00Z"), observedState({}), new Map())).toBe("2026-12-01T10:00:00Z");
  });

  it("is the latest event of any PR of a host's group", () => {
    const byId = new Map([["m", at("2026-12-03T08:00:00Z", "m")]]);
    expect(groupActivity(at("2026-12-01T10:00:00Z"), observedState({ members: [member("m")] }), byId)).toBe(
      "2026-12-03T08:00:00Z",
    );
  });

  it("never expires a member by itself: its preview is its host's", () => {
    expect(
      groupActivity(at("2026-12-01T10:00:00Z"), observedState({ sha: null, status: "grouped", host: "h" }), new Map()),
    ).toBeNull();
  });
});
