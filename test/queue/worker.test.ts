import { setTimeout as sleep } from "node:timers/promises";
import { UnrecoverableError } from "bullmq";
import { describe, expect, it } from "vitest";
import { NotReadyError, PrboxError, SpecError } from "../../src/errors.js";
import { toJobError } from "../../src/queue/index.js";
import { desiredState, gate, harness, idle, waitFor } from "./support.js";

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
        throw new NotReadyError("deployment/api did not become ready", ["deployment/api: ImagePullBackOff"], { kind: "transient" });
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

  it("aborts the running handler's signal on cancel(envId), and ends the job without retry", async () => {
    const h = await harness();
    const started = gate();
    const reasons: unknown[] = [];
    let calls = 0;
    const worker = await h.worker({
      handler: async (_envId, { signal }) => {
        calls++;
        started.open();
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        reasons.push(signal.reason);
        throw new Error("aborted", { cause: signal.reason });
      },
    });
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    await started.promise;
    expect(worker.cancel("env-other")).toBe(false);
    expect(worker.cancel("env-a", "the pull request was closed")).toBe(true);
    await waitFor("the queue is idle", () => idle(h.queue));
    expect(reasons).toEqual(["the pull request was closed"]);
    expect(calls).toBe(1);
    expect(await h.queue.bull.getFailedCount()).toBe(0);
    expect(worker.cancel("env-a")).toBe(false);
  });

  it("runs the reconcile enqueued before a cancel right after the cancelled job, as when a PR is closed mid-deploy", async () => {
    const h = await harness();
    const started = gate();
    const actions: string[] = [];
    const worker = await h.worker({
      handler: async (envId, { signal }) => {
        const desired = await h.store.getDesired(envId);
        actions.push(desired?.action ?? "none");
        if (actions.length > 1) return;
        started.open();
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        signal.throwIfAborted();
      },
    });
    await h.store.updateDesired("env-a", () => desiredState("env-a"));
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    await started.promise;
    await h.store.updateDesired("env-a", (current) => current && { ...current, action: "destroy", closed: true });
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    expect(worker.cancel("env-a", "the pull request was closed")).toBe(true);
    await waitFor("the follow-up ran", async () => actions.length === 2 && (await idle(h.queue)));
    expect(actions).toEqual(["deploy", "destroy"]);
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
