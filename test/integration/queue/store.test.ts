import { describe, expect, it } from "vitest";
import type { ObservedState } from "../../../src/core/desired.js";
import { PrboxError } from "../../../src/errors.js";
import { desiredState, harness } from "./support.js";

const observed = (envId: string, generation: number): ObservedState => ({
  envId,
  sha: "a".repeat(40),
  reloadRequest: 0,
  generation,
  status: "ready",
  error: null,
  at: "2026-11-22T10:00:00.000Z",
});

describe("RedisStateStore", () => {
  it("stores a new desired state as generation 1 and bumps the generation on every change", async () => {
    const { store } = await harness();
    const first = await store.updateDesired("env-a", () => desiredState("env-a", { sha: "1111111" }));
    expect(first).toMatchObject({ sha: "1111111", generation: 1 });
    const second = await store.updateDesired("env-a", (current) => current && { ...current, sha: "2222222" });
    expect(second).toMatchObject({ sha: "2222222", generation: 2 });
    expect(await store.getDesired("env-a")).toEqual(second);
  });

  it("keeps the generation when an update changes nothing or returns null", async () => {
    const { store } = await harness();
    await store.updateDesired("env-a", () => desiredState("env-a"));
    expect(await store.updateDesired("env-a", (current) => current && { ...current })).toMatchObject({ generation: 1 });
    expect(await store.updateDesired("env-a", () => null)).toMatchObject({ generation: 1 });
    expect(await store.updateDesired("env-b", () => null)).toBeNull();
    expect(await store.getDesired("env-b")).toBeNull();
  });

  it("loses no update when 50 updateDesired calls from five servers race", async () => {
    const h = await harness();
    const stores = [h.store, ...(await Promise.all([1, 2, 3, 4].map(() => h.anotherStore())))];
    await h.store.updateDesired("env-a", () => desiredState("env-a"));
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        stores[i % stores.length]!.updateDesired(
          "env-a",
          (current) => current && { ...current, reloadRequest: current.reloadRequest + 1 },
        ),
      ),
    );
    expect(await h.store.getDesired("env-a")).toMatchObject({ reloadRequest: 50, generation: 51 });
  });

  it("refuses to store one environment's state under another's id", async () => {
    const { store } = await harness();
    const error = await store.updateDesired("env-a", () => desiredState("env-b")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrboxError);
    expect(error).toMatchObject({ kind: "internal" });
    expect(await store.getDesired("env-a")).toBeNull();
  });

  it("keeps the observed state beside the desired one", async () => {
    const { store } = await harness();
    expect(await store.getObserved("env-a")).toBeNull();
    await store.setObserved(observed("env-a", 3));
    expect(await store.getObserved("env-a")).toEqual(observed("env-a", 3));
  });

  it("lists every environment's desired state", async () => {
    const { store } = await harness();
    for (const id of ["env-c", "env-a", "env-b"]) await store.updateDesired(id, () => desiredState(id));
    expect((await store.listDesired()).map((s) => s.envId)).toEqual(["env-a", "env-b", "env-c"]);
  });

  it("lists every environment's desired state with its observed state, past one MGET chunk", async () => {
    const { store } = await harness();
    const ids = Array.from({ length: 250 }, (_, i) => `env-${String(i).padStart(3, "0")}`);
    for (const id of ids) await store.updateDesired(id, () => desiredState(id));
    await store.setObserved(observed("env-007", 1));
    await store.setObserved(observed("env-249", 1));
    const states = await store.listStates();
    expect(states.map((s) => s.desired.envId)).toEqual(ids);
    expect(states.filter((s) => s.observed !== null).map((s) => s.observed?.envId)).toEqual(["env-007", "env-249"]);
  });

  it("forgets a destroyed environment: desired, observed and its place in the list", async () => {
    const { store } = await harness();
    await store.updateDesired("env-a", () => desiredState("env-a"));
    await store.updateDesired("env-b", () => desiredState("env-b"));
    await store.setObserved(observed("env-a", 1));
    expect(await store.forget("env-a")).toBe(true);
    expect(await store.getDesired("env-a")).toBeNull();
    expect(await store.getObserved("env-a")).toBeNull();
    expect((await store.listDesired()).map((s) => s.envId)).toEqual(["env-b"]);
  });

  it("does not forget an environment whose desired state changed after the generation the caller acted on", async () => {
    const { store } = await harness();
    await store.updateDesired("env-a", () => desiredState("env-a", { action: "destroy" }));
    // The PR is reopened while the teardown of generation 1 runs.
    await store.updateDesired("env-a", (current) => current && { ...current, action: "deploy" });
    expect(await store.forget("env-a", { ifGeneration: 1 })).toBe(false);
    expect(await store.getDesired("env-a")).toMatchObject({ action: "deploy", generation: 2 });
    expect(await store.forget("env-a", { ifGeneration: 2 })).toBe(true);
    expect(await store.getDesired("env-a")).toBeNull();
  });

  it("recognises a duplicate delivery id, and not a different one", async () => {
    const { store } = await harness();
    expect(await store.rememberDelivery("delivery-1", 60)).toBe(true);
    expect(await store.rememberDelivery("delivery-1", 60)).toBe(false);
    expect(await store.rememberDelivery("delivery-2", 60)).toBe(true);
  });

  it("processes a delivery again once it was forgotten (its first attempt could not be stored)", async () => {
    const { store } = await harness();
    await store.rememberDelivery("delivery-1", 60);
    await store.forgetDelivery("delivery-1");
    expect(await store.rememberDelivery("delivery-1", 60)).toBe(true);
  });

  it("lets a delivery id expire after its time to live", async () => {
    const { store, redis, prefix } = await harness();
    await store.rememberDelivery("delivery-1", 3600);
    const ttl = await redis.ttl(`${prefix}:delivery:delivery-1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3600);
  });
});
