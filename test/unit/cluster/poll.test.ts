import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pollUntil, Wakeup } from "../../../src/cluster/poll.js";

// Fake timers: no pause ever ends by itself, so a check that runs again was woken up.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A check that fails `failures` times, then holds, counting its calls. */
function check(failures: number, onCall: (calls: number) => void = () => {}) {
  const state = { calls: 0 };
  const fn = () => {
    state.calls += 1;
    onCall(state.calls);
    return Promise.resolve(state.calls > failures);
  };
  return { state, fn };
}

describe("a poll's pauses", () => {
  it("wait out their time when nothing wakes them (the check runs again only after it)", async () => {
    const { state, fn } = check(1);
    const done = pollUntil(fn, { timeoutMs: 60_000, intervalMs: 1000, what: "test", wakeup: new Wakeup() });
    await vi.advanceTimersByTimeAsync(99);
    expect(state.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.calls).toBe(2);
    await expect(done).resolves.toBe(true);
  });

  it("end at once when woken during the pause", async () => {
    const wakeup = new Wakeup();
    const { state, fn } = check(1);
    const done = pollUntil(fn, { timeoutMs: 60_000, intervalMs: 1000, what: "test", wakeup });
    await vi.advanceTimersByTimeAsync(0);
    expect(state.calls).toBe(1);
    wakeup.notify();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.calls).toBe(2);
    await expect(done).resolves.toBe(true);
  });

  it("are skipped once when woken during a check (the change may have come after the check read)", async () => {
    const wakeup = new Wakeup();
    const { state, fn } = check(2, (calls) => {
      if (calls === 1) wakeup.notify();
    });
    void pollUntil(fn, { timeoutMs: 60_000, intervalMs: 1000, what: "test", wakeup });
    await vi.advanceTimersByTimeAsync(0);
    // The first pause was skipped; the second waits (the wake-up was used up).
    expect(state.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(state.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.calls).toBe(3);
  });
});
