import { setTimeout as sleep } from "node:timers/promises";
import { UnrecoverableError } from "bullmq";
import { describe, expect, it } from "vitest";
import { NotReadyError, PrboxError, SpecError } from "../../../src/errors.js";
import { toJobError, type NextAttempt } from "../../../src/queue/index.js";
import { gate, harness, waitFor } from "./support.js";

describe("the reconcile worker", () => {
  it("retries transient and unknown errors with backoff, then succeeds", async () => {
    const h = await harness();
    const attempts: number[] = [];
    await h.worker({
      handler: async (_envId, { attempt }) => {
        attempts.push(attempt);
        if (attempt === 1) throw new PrboxError("the API server answered 503", { kind: "transient" });
        if (attempt === 2) throw new TypeError("fetch failed");
      },
    });
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    await waitFor("the job completed", async () => (await h.queue.bull.getCompletedCount()) === 1);
    expect(attempts).toEqual([1, 2, 3]);
    expect(await h.queue.bull.getFailedCount()).toBe(0);
  });

  it("fails a permanent error once, without retry, keeping its message", async () => {
    const h = await harness();
    let calls = 0;
    await h.worker({
      handler: async () => {
        calls++;
        throw new SpecError("environment.toml:3:7: unknown variable ${FOO}");
      },
    });
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    await waitFor("the job failed", async () => (await h.queue.bull.getFailedCount()) === 1);
    const [job] = await h.queue.bull.getFailed();
    expect(calls).toBe(1);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toBe("environment.toml:3:7: unknown variable ${FOO}");
  });

  it("fails a NotReadyError once even when it is marked transient", async () => {
    const h = await harness();
    let calls = 0;
    await h.worker({
      handler: async () => {
        calls++;
        throw new NotReadyError("deployment/api did not become ready", ["deployment/api: ImagePullBackOff"], {
          kind: "transient",
        });
      },
    });
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    await waitFor("the job failed", async () => (await h.queue.bull.getFailedCount()) === 1);
    expect(calls).toBe(1);
    expect((await h.queue.bull.getFailed())[0]?.failedReason).toBe("deployment/api did not become ready");
  });

  it("tells the handler which attempt is its last", async () => {
    const h = await harness({ attempts: 2 });
    const seen: string[] = [];
    await h.worker({
      handler: async (_envId, { attempt, maxAttempts, finalAttempt }) => {
        seen.push(`${String(attempt)}/${String(maxAttempts)}${finalAttempt ? " final" : ""}`);
        throw new PrboxError("still unavailable", { kind: "transient" });
      },
    });
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    await waitFor("the job failed", async () => (await h.queue.bull.getFailedCount()) === 1);
    expect(seen).toEqual(["1/2", "2/2 final"]);
  });

  it("waits exactly the delay it promised the handler before the next attempt, and promises none on the last", async () => {
    const h = await harness({ attempts: 3, backoffMs: 300 });
    const promised: (NextAttempt | null)[] = [];
    const failedAt: number[] = [];
    const startedAt: number[] = [];
    await h.worker({
      handler: async (_envId, { nextAttempt }) => {
        startedAt.push(Date.now());
        const error = new PrboxError("the API server answered 503", { kind: "transient" });
        promised.push(nextAttempt(error));
        // Asked twice in one attempt, the answer stays the same (the PR and the queue agree).
        expect(nextAttempt(error)).toEqual(promised.at(-1));
        failedAt.push(Date.now());
        throw error;
      },
    });
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    await waitFor("the job failed", async () => (await h.queue.bull.getFailedCount()) === 1);
    expect(promised.map((p) => p && { attempt: p.attempt, of: p.of })).toEqual([
      { attempt: 2, of: 3 },
      { attempt: 3, of: 3 },
      null,
    ]);
    // Exponential with up to 20 % jitter off: 300 ms·2^(n-1).
    expect(promised[0]?.inMs).toBeGreaterThanOrEqual(240);
    expect(promised[0]?.inMs).toBeLessThanOrEqual(300);
    expect(promised[1]?.inMs).toBeGreaterThanOrEqual(480);
    expect(promised[1]?.inMs).toBeLessThanOrEqual(600);
    for (const n of [0, 1])
      expect((startedAt[n + 1] ?? 0) - (failedAt[n] ?? 0)).toBeGreaterThanOrEqual(promised[n]?.inMs ?? Infinity);
  });

  it("fails an internal error (a bug) once, and tells the handler there is no next attempt", async () => {
    const h = await harness();
    const promised: (NextAttempt | null)[] = [];
    await h.worker({
      handler: async (_envId, { nextAttempt }) => {
        const bug = new PrboxError("the record at Redis key x is not JSON", { kind: "internal" });
        promised.push(nextAttempt(bug));
        throw bug;
      },
    });
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    await waitFor("the job failed", async () => (await h.queue.bull.getFailedCount()) === 1);
    expect(promised).toEqual([null]);
    expect((await h.queue.bull.getFailed())[0]?.attemptsMade).toBe(1);
  });

  it("waits in close() for the active job to finish", async () => {
    const h = await harness();
    const started = gate();
    const release = gate();
    const events: string[] = [];
    const worker = await h.worker({
      handler: async () => {
        started.open();
        await release.promise;
        events.push("job finished");
      },
    });
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    await started.promise;
    const closed = worker.close().then(() => events.push("worker closed"));
    // Give a close() that does not wait every chance to finish first.
    await sleep(200);
    release.open();
    await closed;
    expect(events).toEqual(["job finished", "worker closed"]);
    expect(await h.queue.bull.getCompletedCount()).toBe(1);
  });

  it("passes BullMQ an UnrecoverableError that keeps the original error as its cause", async () => {
    const original = new SpecError("bad spec");
    const final = toJobError(original);
    expect(final).toBeInstanceOf(UnrecoverableError);
    expect(final.message).toBe("bad spec");
    expect(final.cause).toBe(original);
    const transient = new PrboxError("503", { kind: "transient" });
    expect(toJobError(transient)).toBe(transient);
    expect(toJobError(new PrboxError("a bug", { kind: "internal" }))).toBeInstanceOf(UnrecoverableError);
    expect(toJobError(new NotReadyError("not ready", [], { kind: "transient" }))).toBeInstanceOf(UnrecoverableError);
  });
});
