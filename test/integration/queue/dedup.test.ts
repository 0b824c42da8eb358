import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { PrboxError } from "../../../src/errors.js";
import { desiredState, gate, harness, idle, waitFor } from "./support.js";

describe("the reconcile queue", () => {
  it("runs the handler at most twice for a burst of 20 enqueues, and the last run sees the final SHA", async () => {
    const h = await harness();
    const seen: string[] = [];
    const burstDone = gate();
    await h.worker({
      concurrency: 4,
      handler: async (envId) => {
        seen.push((await h.store.getDesired(envId))?.sha ?? "none");
        // The first run lasts until the burst is over, as a deploy would.
        if (seen.length === 1) await burstDone.promise;
      },
    });

    for (let i = 1; i <= 20; i++) {
      await h.store.updateDesired("env-a", (current) => ({
        ...(current ?? desiredState("env-a")),
        sha: `sha-${String(i)}`,
      }));
      await h.queue.enqueueReconcile("env-a", { delayMs: 20 });
      // Pauses within the burst let a job start while further events arrive.
      if (i % 5 === 0) await sleep(60);
    }
    burstDone.open();
    await waitFor("the queue is idle after at least one run", async () => seen.length > 0 && (await idle(h.queue)));

    expect(seen.length).toBeLessThanOrEqual(2);
    expect(seen.at(-1)).toBe("sha-20");
  });

  it("runs once more after the running job when events arrive while it runs", async () => {
    const h = await harness();
    let runs = 0;
    const started = gate();
    const release = gate();
    await h.worker({
      handler: async () => {
        runs++;
        started.open();
        if (runs === 1) await release.promise;
      },
    });
    await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    await started.promise;
    for (let i = 0; i < 5; i++) await h.queue.enqueueReconcile("env-a", { delayMs: 0 });
    release.open();
    await waitFor("the queue is idle after the second run", async () => runs >= 2 && (await idle(h.queue)));
    expect(runs).toBe(2);
  });

  it("never runs two jobs of one environment at once across two workers, while different environments run in parallel", async () => {
    const h = await harness();
    const envs = ["env-a", "env-b", "env-c"];
    const runs = new Map<string, number>(envs.map((e) => [e, 0]));
    const activeByEnv = new Map<string, number>(envs.map((e) => [e, 0]));
    let overlaps = 0;
    let active = 0;
    let mostActive = 0;
    const allStarted = gate();
    const release = gate();

    const handler = async (envId: string) => {
      const now = (activeByEnv.get(envId) ?? 0) + 1;
      activeByEnv.set(envId, now);
      if (now > 1) overlaps++;
      active++;
      mostActive = Math.max(mostActive, active);
      runs.set(envId, (runs.get(envId) ?? 0) + 1);
      if ([...runs.values()].every((n) => n >= 1)) allStarted.open();
      // First runs hold until every environment has started (so they run in parallel) and the
      // test has enqueued more work for each of them.
      if (runs.get(envId) === 1) await Promise.all([allStarted.promise, release.promise]);
      active--;
      activeByEnv.set(envId, (activeByEnv.get(envId) ?? 1) - 1);
    };
    await h.worker({ concurrency: 3, handler });
    await h.worker({ concurrency: 3, handler });

    for (const env of envs) await h.queue.enqueueReconcile(env, { delayMs: 0 });
    await allStarted.promise;
    for (let i = 0; i < 5; i++) for (const env of envs) await h.queue.enqueueReconcile(env, { delayMs: 0 });
    // Idle worker slots would pick up a duplicate job now, if the queue let one through.
    await sleep(300);
    release.open();
    await waitFor(
      "every environment ran twice and the queue is idle",
      async () => [...runs.values()].every((n) => n >= 2) && (await idle(h.queue)),
    );

    expect(overlaps).toBe(0);
    expect(mostActive).toBe(3);
    expect(Object.fromEntries(runs)).toEqual({ "env-a": 2, "env-b": 2, "env-c": 2 });
  });

  it("gives a job nothing but the environment id, and de-duplicates it by environment", async () => {
    const h = await harness();
    await h.queue.enqueueReconcile("env-a");
    await h.queue.enqueueReconcile("env-a");
    const jobs = await h.queue.bull.getJobs(["waiting", "delayed"]);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.data).toEqual({ envId: "env-a" });
    expect(jobs[0]?.opts).toMatchObject({
      attempts: 8,
      deduplication: { id: "env-a", keepLastIfActive: true, replace: true },
    });
  });

  it("starts the first event of a quiet environment at once, and collects the events that find its job running", async () => {
    const h = await harness();
    await h.queue.enqueueReconcile("env-a");
    // Nothing was queued or running for env-a: no collection delay.
    expect(await h.queue.queueCounts()).toMatchObject({ waiting: 1, delayed: 0 });
    expect((await h.queue.bull.getJobs(["waiting"]))[0]?.opts.delay).toBe(0);

    const started = gate();
    const release = gate();
    await h.worker({
      handler: async () => {
        started.open();
        await release.promise;
      },
    });
    await started.promise;
    await h.queue.enqueueReconcile("env-a");
    await h.queue.enqueueReconcile("env-a");
    release.open();
    await waitFor("two runs and the queue is idle", async () => {
      const completed = await h.queue.bull.getJobs(["completed"]);
      return completed.length === 2 && (await idle(h.queue));
    });
    // The events that found the job running became one more job, which waited 500 ms to collect
    // the rest of the burst.
    const completed = await h.queue.bull.getJobs(["completed"]);
    expect(completed.map((job) => job.opts.delay).sort()).toEqual([0, 500]);
  });

  it("counts waiting, active, delayed and failed jobs", async () => {
    const h = await harness({ delayMs: 0 });
    const release = gate();
    await h.queue.enqueueReconcile("env-later", { delayMs: 3_600_000 });
    await h.queue.enqueueReconcile("env-waiting");
    expect(await h.queue.queueCounts()).toEqual({ waiting: 1, active: 0, delayed: 1, failed: 0 });

    let started = false;
    await h.worker({
      concurrency: 1,
      handler: async (envId) => {
        if (envId === "env-broken") throw new PrboxError("environment.toml: unknown variable FOO");
        started = true;
        await release.promise;
      },
    });
    await waitFor("the waiting job runs", () => started);
    await h.queue.enqueueReconcile("env-broken");
    expect(await h.queue.queueCounts()).toEqual({ waiting: 1, active: 1, delayed: 1, failed: 0 });
    release.open();
    await waitFor("the broken environment's job failed", async () => (await h.queue.queueCounts()).failed === 1);
    expect(await h.queue.queueCounts()).toEqual({ waiting: 0, active: 0, delayed: 1, failed: 1 });
  });
});
