// The reconcile decision as a table: what is wanted, what was last done, the cap → the action.
// Pure: no Redis, no cluster, no forge.
import { describe, expect, it } from "vitest";
import type { DesiredState, ObservedState } from "../../../src/core/desired.js";
import { NO_GROUP, type Grouping } from "../../../src/core/groups.js";
import { isLive, plan, type Action, type Capacity } from "../../../src/core/plan.js";
import { desiredState } from "../../integration/queue/support.js";

const A = "a".repeat(40);
const B = "b".repeat(40);

const desired = (overrides: Partial<DesiredState> = {}): DesiredState =>
  desiredState("env-1", { sha: A, generation: 3, ...overrides });

function observed(overrides: Partial<ObservedState> = {}): ObservedState {
  return {
    envId: "env-1",
    sha: A,
    reloadRequest: 0,
    generation: 3,
    status: "ready",
    error: null,
    at: "2026-12-01T10:00:05.000Z",
    ...overrides,
  };
}

const SINCE = "2026-12-01T18:00:00.000Z";
const LABEL = "add the label `preview` to deploy a preview";
const full: Capacity = { max: 3, live: 3, claimed: false };
const granted: Capacity = { max: 3, live: 2, claimed: true };
const capReason =
  "3 preview environments are running and the limit is 3; this one deploys as soon as another is deleted";

const table: [string, DesiredState | null, ObservedState | null, Capacity | null, Action][] = [
  ["no desired state: gone", null, observed(), null, { kind: "gone" }],
  ["never deployed: deploy", desired(), null, null, { kind: "deploy", fresh: false }],
  ["deployed at the SHA: up to date", desired(), observed(), null, { kind: "up-to-date" }],
  ["a push: deploy the new head", desired({ sha: B }), observed(), null, { kind: "deploy", fresh: false }],
  [
    "failed at the SHA: not retried until a push or /reload",
    desired(),
    observed({ status: "failed", error: "bad spec" }),
    null,
    { kind: "up-to-date" },
  ],
  ["a /reload: deploy from scratch", desired({ reloadRequest: 1 }), observed(), null, { kind: "deploy", fresh: true }],
  [
    "a /reload already served: up to date",
    desired({ reloadRequest: 1 }),
    observed({ reloadRequest: 1 }),
    null,
    { kind: "up-to-date" },
  ],
  [
    "was waiting, now wanted: deploy",
    desired(),
    observed({ sha: null, status: "waiting", error: LABEL, generation: 2 }),
    null,
    { kind: "deploy", fresh: false },
  ],
  ["closed: tear down", desired({ action: "destroy", closed: true }), observed(), null, { kind: "tear-down" }],
  [
    "closed before it was ever seen: tear down (finds nothing)",
    desired({ action: "destroy", closed: true }),
    null,
    null,
    { kind: "tear-down" },
  ],
  [
    "closed and already deleted: up to date",
    desired({ action: "destroy", closed: true }),
    observed({ sha: null, status: "destroyed" }),
    null,
    { kind: "up-to-date" },
  ],
  [
    "a gate: hold with its reason",
    desired({ action: "wait", waitReason: LABEL }),
    null,
    null,
    { kind: "hold", reason: LABEL },
  ],
  [
    "the same reason already reported: up to date",
    desired({ action: "wait", waitReason: LABEL }),
    observed({ sha: null, status: "waiting", error: LABEL }),
    null,
    { kind: "up-to-date" },
  ],
  [
    "a new reason: hold again",
    desired({ action: "wait", waitReason: "waiting for the checks build to pass" }),
    observed({ sha: null, status: "waiting", error: LABEL }),
    null,
    { kind: "hold", reason: "waiting for the checks build to pass" },
  ],
  [
    "the same reason in a newer generation: reported again",
    desired({ action: "wait", waitReason: LABEL, generation: 4 }),
    observed({ sha: null, status: "waiting", error: LABEL }),
    null,
    { kind: "hold", reason: LABEL },
  ],
  [
    "a live environment told to wait keeps running: hold",
    desired({ action: "wait", waitReason: LABEL }),
    observed(),
    null,
    { kind: "hold", reason: LABEL },
  ],
  ["cap reached, no slot: hold with the count", desired(), null, full, { kind: "hold", reason: capReason }],
  [
    "cap reached, already told: up to date",
    desired(),
    observed({ sha: null, status: "waiting", error: capReason }),
    full,
    { kind: "up-to-date" },
  ],
  ["cap reached but a slot was claimed: deploy", desired(), null, granted, { kind: "deploy", fresh: false }],
  [
    "cap reached, a live environment pushed to (its slot kept): deploy",
    desired({ sha: B }),
    observed(),
    { max: 3, live: 3, claimed: true },
    { kind: "deploy", fresh: false },
  ],
  ["up to date whatever the cap says", desired(), observed(), full, { kind: "up-to-date" }],
  ["sleep asked of a ready one: sleep", desired({ sleepSince: SINCE }), observed(), null, { kind: "sleep" }],
  [
    "sleep asked of one that failed after deploying: sleep",
    desired({ sleepSince: SINCE }),
    observed({ status: "failed" }),
    null,
    { kind: "sleep" },
  ],
  [
    "asleep as asked: up to date",
    desired({ sleepSince: SINCE }),
    observed({ status: "sleeping" }),
    null,
    { kind: "up-to-date" },
  ],
  [
    "asleep, and a new commit that is no activity (checks): stays asleep, its wake deploys it",
    desired({ sleepSince: SINCE, sha: B }),
    observed({ status: "sleeping" }),
    null,
    { kind: "up-to-date" },
  ],
  [
    "asleep and woken (an event or a visit cleared sleepSince): deploy, which wakes it",
    desired(),
    observed({ status: "sleeping" }),
    null,
    { kind: "deploy", fresh: false },
  ],
  [
    "woken by a push: deploy the new head",
    desired({ sha: B }),
    observed({ status: "sleeping" }),
    null,
    { kind: "deploy", fresh: false },
  ],
  [
    "woken by /reload: rebuild",
    desired({ reloadRequest: 1 }),
    observed({ status: "sleeping" }),
    null,
    { kind: "deploy", fresh: true },
  ],
  [
    "sleep asked, but nothing is deployed: the usual deploy",
    desired({ sleepSince: SINCE }),
    null,
    null,
    { kind: "deploy", fresh: false },
  ],
  [
    "sleep asked, then closed: tear down",
    desired({ sleepSince: SINCE, action: "destroy", closed: true }),
    observed({ status: "sleeping" }),
    null,
    { kind: "tear-down" },
  ],
];

describe("plan", () => {
  it.each(table)("%s", (_name, want, done, capacity, action) => {
    expect(plan(want, done, capacity)).toEqual(action);
  });
});

describe("plan in a group of PRs of one branch (ADR 29)", () => {
  const member = {
    envId: "env-2",
    ref: { forge: "github" as const, repo: "acme/api", pr: 4, target: "1" },
    branch: "feature",
    sha: B,
  };
  const hosting = { host: null, members: [member] };
  const joinedTo = (host: string) => ({ host, members: [] });
  const grouped = observed({ sha: null, status: "grouped", host: "env-9" });
  const cases: [string, DesiredState, ObservedState | null, Grouping, Action][] = [
    ["a member not yet joined: join", desired(), observed(), joinedTo("env-9"), { kind: "join", host: "env-9" }],
    ["a member joined in this generation: up to date", desired(), grouped, joinedTo("env-9"), { kind: "up-to-date" }],
    [
      "a member pushed: join again (the host redeploys)",
      desired({ generation: 4 }),
      grouped,
      joinedTo("env-9"),
      { kind: "join", host: "env-9" },
    ],
    ["a member whose host went: deploys alone", desired(), grouped, NO_GROUP, { kind: "deploy", fresh: false }],
    [
      "a member waiting for its gates: holds, does not join",
      desired({ action: "wait", waitReason: LABEL }),
      null,
      joinedTo("env-9"),
      { kind: "hold", reason: LABEL },
    ],
    ["a host whose members changed: deploy", desired(), observed(), hosting, { kind: "deploy", fresh: false }],
    [
      "a host deployed with these members: up to date",
      desired(),
      observed({ members: [member] }),
      hosting,
      { kind: "up-to-date" },
    ],
    [
      "a host whose member pushed: deploy",
      desired(),
      observed({ members: [{ ...member, sha: A }] }),
      hosting,
      { kind: "deploy", fresh: false },
    ],
    [
      "a host closed with members open: its preview goes on for them",
      desired({ action: "destroy", closed: true, generation: 4 }),
      observed({ members: [member] }),
      hosting,
      { kind: "deploy", fresh: false, closed: true },
    ],
    [
      "a closed host already redeployed for them: up to date",
      desired({ action: "destroy", closed: true }),
      observed({ members: [member] }),
      hosting,
      { kind: "up-to-date" },
    ],
    [
      "a closed host whose last member left: tear down",
      desired({ action: "destroy", closed: true }),
      observed({ members: [member] }),
      NO_GROUP,
      { kind: "tear-down" },
    ],
    [
      "a host's /destroy with members open: tear down (they deploy alone)",
      desired({ action: "destroy", closed: false }),
      observed({ members: [member] }),
      hosting,
      { kind: "tear-down" },
    ],
  ];
  it.each(cases)("%s", (_name, want, done, group, action) => {
    expect(plan(want, done, null, group)).toEqual(action);
  });
});

describe("isLive", () => {
  it.each([
    ["nothing done yet", null, false],
    ["ready", observed(), true],
    ["failed after deploying (its namespace may exist)", observed({ status: "failed" }), true],
    ["waiting, never deployed", observed({ sha: null, status: "waiting" }), false],
    ["waiting while deployed (a label removed)", observed({ status: "waiting" }), true],
    ["deleted", observed({ sha: null, status: "destroyed" }), false],
    ["part of another PR's preview", observed({ sha: null, status: "grouped", host: "env-9" }), false],
  ] as const)("%s", (_name, done, live) => {
    expect(isLive(done)).toBe(live);
  });
});
