// Sleep and wake, the pure parts (ADR 28): when the sweep asks for sleep, the countdowns' start
// after a visit, /wake as a command, the sleeping comment (the settings: test/unit/config/config.test.ts). A clock is passed in.
import { describe, expect, it } from "vitest";
import { parseCommand } from "../../../src/core/command-text.js";
import { expiryOf, lastActivity, sleepDue } from "../../../src/core/expiry.js";
import { commentBody, commitStatus, environmentState, type Report } from "../../../src/core/report.js";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-12-01T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
const SHA = "a".repeat(40);
const deployed = { eventAt: iso(T0), action: "deploy" as const, sha: SHA, sleepSince: null, wokeAt: null };
const ready = { sha: SHA, status: "ready" };

describe("when the sweep asks a preview to sleep", () => {
  it("asks a ready, up-to-date preview idle for PRBOX_SLEEP_AFTER, from the last event or visit", () => {
    expect(sleepDue(deployed, ready, 8 * HOUR, T0 + 8 * HOUR - 1)).toBe(false);
    expect(sleepDue(deployed, ready, 8 * HOUR, T0 + 8 * HOUR)).toBe(true);
    const visited = { ...deployed, wokeAt: iso(T0 + 5 * HOUR) };
    expect(sleepDue(visited, ready, 8 * HOUR, T0 + 8 * HOUR)).toBe(false);
    expect(sleepDue(visited, ready, 8 * HOUR, T0 + 13 * HOUR)).toBe(true);
  });

  it("never asks without the setting, twice, or of a preview not ready at the wanted commit", () => {
    const late = T0 + 100 * HOUR;
    expect(sleepDue(deployed, ready, 0, late)).toBe(false);
    expect(sleepDue({ ...deployed, sleepSince: iso(T0 + 9 * HOUR) }, ready, 8 * HOUR, late)).toBe(false);
    expect(sleepDue({ ...deployed, action: "wait" }, ready, 8 * HOUR, late)).toBe(false);
    expect(sleepDue(deployed, { sha: SHA, status: "failed" }, 8 * HOUR, late)).toBe(false);
    expect(sleepDue(deployed, { sha: SHA, status: "sleeping" }, 8 * HOUR, late)).toBe(false);
    expect(sleepDue(deployed, { sha: "b".repeat(40), status: "ready" }, 8 * HOUR, late)).toBe(false);
    expect(sleepDue(deployed, null, 8 * HOUR, late)).toBe(false);
  });

  it("lets a visit that woke the preview move the idle deletion too", () => {
    expect(lastActivity({ eventAt: iso(T0) })).toBe(T0);
    expect(lastActivity({ eventAt: iso(T0), wokeAt: iso(T0 - HOUR) })).toBe(T0);
    expect(lastActivity({ eventAt: iso(T0), wokeAt: iso(T0 + HOUR) })).toBe(T0 + HOUR);
    expect(expiryOf({ eventAt: iso(T0), wokeAt: iso(T0 + 10 * HOUR) }, 72 * HOUR)).toBe(T0 + 82 * HOUR);
  });
});

describe("/wake", () => {
  it("is a command like the others, not in code", () => {
    expect(parseCommand("/wake")).toEqual({ name: "wake" });
    expect(parseCommand("please\n/wake it up")).toEqual({ name: "wake" });
    expect(parseCommand("`/wake`")).toBeNull();
    expect(parseCommand("/wakeup")).toBeNull();
  });
});

describe("the sleeping report", () => {
  const report: Report = {
    state: "sleeping",
    since: "2026-12-01T20:00:00.000Z",
    urls: ["https://pr-7.preview.example.com", "http://api-7.preview.example.com"],
  };

  it("says since when and how to wake it, and leaves the commit status and the deployment alone", () => {
    expect(commentBody(report)).toBe(
      [
        "**prbox preview**: 💤 sleeping since Tue, 01 Dec 2026 20:00 UTC; push, comment `/wake` or open <https://pr-7.preview.example.com>, <http://api-7.preview.example.com> to wake it.",
        "",
        "Nothing happened on this pull request for a while, so its workloads were scaled to zero; waking takes as long as a deploy.",
      ].join("\n"),
    );
    expect(commitStatus(report)).toBeNull();
    expect(environmentState(report)).toBeNull();
  });

  it("says a failed sleep is one, not the commit's", () => {
    const failed: Report = { state: "failed", sha: SHA, error: "boom", retry: null, sleeping: true };
    expect(commentBody(failed)).toBe(
      "**prbox preview**: ❌ putting the preview to sleep failed.\n\n```text\nboom\n```\n\nSome of its workloads may be scaled down already: comment `/wake` to wake it.",
    );
    expect(commitStatus(failed)).toBeNull();
    expect(environmentState(failed)).toBeNull();
  });
});
