// When an idle preview is deleted, the warning before it, and what /keep and /extend change
// (src/core/expiry.ts, src/core/transitions.ts). Pure: a clock is passed in.
import { describe, expect, it } from "vitest";
import { parseCommand } from "../../../src/core/command-text.js";
import type { DesiredState } from "../../../src/core/desired.js";
import type { CommandEvent, PullRequestEvent } from "../../../src/core/events.js";
import {
  describeDeadline,
  expiryOf,
  expiryStep,
  keptText,
  parseExtension,
  warningWindow,
} from "../../../src/core/expiry.js";
import { nextDesired } from "../../../src/core/transitions.js";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-12-01T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
const policy = { idleTtlMs: 72 * HOUR, expiryWarningMs: 24 * HOUR };

describe("expiry", () => {
  it("is the TTL after the last event, later with /extend, never with /keep or without a TTL", () => {
    expect(expiryOf({ eventAt: iso(T0) }, 72 * HOUR)).toBe(T0 + 72 * HOUR);
    expect(expiryOf({ eventAt: iso(T0), keepUntil: iso(T0 + 100 * HOUR) }, 72 * HOUR)).toBe(T0 + 100 * HOUR);
    expect(expiryOf({ eventAt: iso(T0), keepUntil: iso(T0 + HOUR) }, 72 * HOUR)).toBe(T0 + 72 * HOUR);
    expect(expiryOf({ eventAt: iso(T0), keep: true }, 72 * HOUR)).toBeNull();
    expect(expiryOf({ eventAt: iso(T0) }, 0)).toBeNull();
  });

  it("warns from the warning time on, once per deadline, and deletes at the deadline", () => {
    const state: Pick<DesiredState, "eventAt" | "warnedFor"> = { eventAt: iso(T0) };
    expect(expiryStep(state, policy, T0 + 47 * HOUR)).toEqual({ action: "none" });
    expect(expiryStep(state, policy, T0 + 48 * HOUR)).toEqual({ action: "warn", at: T0 + 72 * HOUR });
    const warned = { ...state, warnedFor: iso(T0 + 72 * HOUR) };
    expect(expiryStep(warned, policy, T0 + 60 * HOUR)).toEqual({ action: "none" });
    expect(expiryStep(warned, policy, T0 + 72 * HOUR)).toEqual({ action: "delete" });
    // Activity moves the deadline: the new one is warned about again.
    const later = { ...warned, eventAt: iso(T0 + 30 * HOUR) };
    expect(expiryStep(later, policy, T0 + 80 * HOUR)).toEqual({ action: "warn", at: T0 + 102 * HOUR });
    expect(expiryStep(state, { ...policy, expiryWarningMs: 0 }, T0 + 71 * HOUR)).toEqual({ action: "none" });
  });

  it("warns at most half the TTL ahead, so a warning as long as the TTL does not follow every push", () => {
    expect(warningWindow({ idleTtlMs: 72 * HOUR, expiryWarningMs: 24 * HOUR })).toBe(24 * HOUR);
    expect(warningWindow({ idleTtlMs: 24 * HOUR, expiryWarningMs: 24 * HOUR })).toBe(12 * HOUR);
    expect(warningWindow({ idleTtlMs: 24 * HOUR, expiryWarningMs: 0 })).toBe(0);
    const short = { idleTtlMs: 24 * HOUR, expiryWarningMs: 24 * HOUR };
    // Right after a push: no warning (with the whole 24 h ahead it would warn on the next sweep).
    expect(expiryStep({ eventAt: iso(T0) }, short, T0 + 10 * 60_000)).toEqual({ action: "none" });
    expect(expiryStep({ eventAt: iso(T0) }, short, T0 + 12 * HOUR)).toEqual({ action: "warn", at: T0 + 24 * HOUR });
  });

  it("answers /keep and /extend with the deadline the sweep will use", () => {
    const ttl = 72 * HOUR;
    // /extend 4d: the extension is the deadline.
    expect(keptText({ eventAt: iso(T0), keepUntil: iso(T0 + 96 * HOUR) }, ttl, T0)).toBe(
      "this preview is now deleted on Sat, 05 Dec 2026 12:00 UTC (in 4 days) unless something happens on this pull request before then (a push restarts the countdown).",
    );
    // /extend 1d under a 72 h TTL: the command restarted the countdown, which ends later.
    expect(keptText({ eventAt: iso(T0), keepUntil: iso(T0 + 24 * HOUR) }, ttl, T0)).toMatch(
      /deleted on Fri, 04 Dec 2026 12:00 UTC \(in 3 days\)/,
    );
    // /extend after /keep: still kept.
    const kept = "this preview is kept while the pull request is open: it is no longer deleted for inactivity.";
    expect(keptText({ eventAt: iso(T0), keep: true, keepUntil: iso(T0 + 24 * HOUR) }, ttl, T0)).toBe(kept);
    expect(keptText({ eventAt: iso(T0), keep: true }, ttl, T0)).toBe(kept);
    expect(keptText({ eventAt: iso(T0), keep: true }, 0, T0)).toBe(
      "previews here are not deleted for inactivity, so there is nothing to keep; noted anyway.",
    );
  });

  it("reads /extend's durations in minutes, hours and days, and says a deadline in words", () => {
    expect(parseExtension("90m")).toBe(90 * 60_000);
    expect(parseExtension("36h")).toBe(36 * HOUR);
    expect(parseExtension("1d12h")).toBe(36 * HOUR);
    for (const bad of ["", "3", "3x", "d", "0d", "-1d", "3 d", "1.5d"]) expect(parseExtension(bad), bad).toBeNull();
    expect(describeDeadline(T0 + 23 * HOUR, T0)).toBe("Wed, 02 Dec 2026 11:00 UTC (in 23 hours)");
    expect(describeDeadline(T0 + 72 * HOUR, T0)).toBe("Fri, 04 Dec 2026 12:00 UTC (in 3 days)");
  });
});

describe("/keep and /extend", () => {
  it("are commands; /extend needs a duration of at most 30 days", () => {
    expect(parseCommand("/keep")).toEqual({ name: "keep" });
    expect(parseCommand("please\n/extend 2d")).toEqual({ name: "extend", extendMs: 48 * HOUR });
    expect(parseCommand("/extend 30d")).toEqual({ name: "extend", extendMs: 720 * HOUR });
    expect(parseCommand("/extend")?.invalid).toBe(
      "`/extend` needs a duration: write minutes, hours or days, e.g. `/extend 12h` or `/extend 3d` (at most 30d).",
    );
    expect(parseCommand("/extend 31d")?.invalid).toBe(
      "`31d` is longer than /extend allows: write minutes, hours or days, e.g. `/extend 12h` or `/extend 3d` (at most 30d).",
    );
    expect(parseCommand("/extend soon")?.invalid).toMatch(/^`soon` is not a duration/);
    expect(parseCommand("`/keep`")).toBeNull();
  });

  it("keep the preview across pushes, /extend moves the deadline without shortening an earlier one", () => {
    const ref = { forge: "github" as const, repo: "acme/shop", pr: 7, target: "1" };
    const policyOpen = { requiredLabel: null, deployForks: false };
    const head = { branch: "feature", sha: "a1", fork: false, labels: [] };
    const opened: PullRequestEvent = { kind: "pull_request", action: "opened", ref, head, merged: false, at: iso(T0) };
    const command = (name: CommandEvent["command"], id: string, at: number, extendMs?: number): CommandEvent => ({
      kind: "command",
      command: name,
      ref,
      user: "maintainer",
      commentId: id,
      head,
      at: iso(at),
      ...(extendMs === undefined ? {} : { extendMs }),
    });
    let state = nextDesired(null, opened, "env-1", policyOpen);
    state = nextDesired(state, command("extend", "c1", T0 + HOUR, 96 * HOUR), "env-1", policyOpen);
    expect(state?.keepUntil).toBe(iso(T0 + 97 * HOUR));
    state = nextDesired(state, command("extend", "c2", T0 + 2 * HOUR, 24 * HOUR), "env-1", policyOpen);
    expect(state?.keepUntil).toBe(iso(T0 + 97 * HOUR));
    state = nextDesired(state, command("keep", "c3", T0 + 3 * HOUR), "env-1", policyOpen);
    const pushed: PullRequestEvent = {
      ...opened,
      action: "synchronize",
      head: { ...head, sha: "b2" },
      at: iso(T0 + 4 * HOUR),
    };
    state = nextDesired(state, pushed, "env-1", policyOpen);
    expect(state).toMatchObject({ action: "deploy", sha: "b2", keep: true, keepUntil: iso(T0 + 97 * HOUR) });
    expect(expiryOf(state as DesiredState, 72 * HOUR)).toBeNull();
  });

  it("an idle deletion is undone by the next push, which deploys and forgets that it expired", () => {
    const ref = { forge: "github" as const, repo: "acme/shop", pr: 7, target: "1" };
    const head = { branch: "feature", sha: "a1", fork: false, labels: [] };
    const opened: PullRequestEvent = { kind: "pull_request", action: "opened", ref, head, merged: false, at: iso(T0) };
    const policyOpen = { requiredLabel: null, deployForks: false };
    const live = nextDesired(null, opened, "env-1", policyOpen) as DesiredState;
    // What the sweep writes when the TTL ran out (src/core/sweep.ts).
    const expired: DesiredState = { ...live, action: "destroy", waitReason: "no activity for 72h", expired: true };
    const pushed: PullRequestEvent = {
      ...opened,
      action: "synchronize",
      head: { ...head, sha: "b2" },
      at: iso(T0 + 80 * HOUR),
    };
    const back = nextDesired(expired, pushed, "env-1", policyOpen);
    expect(back).toMatchObject({ action: "deploy", sha: "b2", waitReason: null });
    expect(back?.expired).toBeUndefined();
  });
});
