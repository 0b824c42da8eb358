import { setTimeout as sleep } from "node:timers/promises";
import type { DesiredState, ObservedState } from "../core/desired.js";
import { PrboxError } from "../errors.js";
import { changed, parseDesired, parseObserved } from "./records.js";
import { redisFailure, type AnyRedis } from "./redis.js";

export interface StateStoreOptions {
  /** Prefix of every key ("<prefix>:desired:<envId>", …); default "prbox". */
  prefix?: string;
  /** How often updateDesired retries after losing a race before it gives up; default 100. */
  maxUpdateAttempts?: number;
}

/** A state transition: the next desired state, or null (or `current`) to leave it as it is. */
/** One environment as Redis knows it: what should be, and what the reconciler last did. */
export interface StoredEnvironment {
  desired: DesiredState;
  observed: ObservedState | null;
}

export type DesiredUpdate = (current: DesiredState | null) => DesiredState | null;

// Compare-and-set: writes ARGV[2] only while the key still holds what the caller read (ARGV[1],
// "" for "absent"). Optimistic like WATCH/MULTI, but safe on a connection shared by concurrent
// callers, which WATCH is not (one caller's EXEC would drop the others' WATCH).
const COMPARE_AND_SET = `
local current = redis.call("GET", KEYS[1])
if (current or "") ~= ARGV[1] then return 0 end
redis.call("SET", KEYS[1], ARGV[2])
redis.call("SADD", KEYS[2], ARGV[3])
return 1`;

// Deletes an environment's records, unless a newer desired state arrived since the caller
// decided to (ARGV[1] = the generation it acted on, "" for "whatever is there").
const FORGET = `
local current = redis.call("GET", KEYS[1])
if current and ARGV[1] ~= "" and tostring(cjson.decode(current)["generation"]) ~= ARGV[1] then return 0 end
redis.call("DEL", KEYS[1], KEYS[2])
redis.call("SREM", KEYS[3], ARGV[2])
return 1`;

// The cap on live environments as a lock, not a budget: one script checks and takes a slot, so
// concurrent workers on any number of machines never exceed it (ADR 18). KEYS[1] = the set of
// environments holding a slot; ARGV = envId, the cap, "1" when the environment is live already
// (it always keeps its slot, even above a lowered cap). Returns {granted, slots held}.
const CLAIM_SLOT = `
local held = redis.call("SISMEMBER", KEYS[1], ARGV[1]) == 1
if held or ARGV[3] == "1" then
  redis.call("SADD", KEYS[1], ARGV[1])
  return {1, redis.call("SCARD", KEYS[1])}
end
local live = redis.call("SCARD", KEYS[1])
if live < tonumber(ARGV[2]) then
  redis.call("SADD", KEYS[1], ARGV[1])
  return {1, live + 1}
end
return {0, live}`;

const MGET_CHUNK = 200;

/**
 * Desired and observed state of every environment, and the delivery ids already seen, in Redis.
 * Give it a "client" role connection (connectRedis) so calls fail fast while Redis is down.
 */
export class RedisStateStore {
  private readonly prefix: string;
  private readonly maxUpdateAttempts: number;

  constructor(
    private readonly redis: AnyRedis,
    options: StateStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? "prbox";
    this.maxUpdateAttempts = options.maxUpdateAttempts ?? 100;
  }

  private desiredKey(envId: string): string {
    return `${this.prefix}:desired:${envId}`;
  }

  private observedKey(envId: string): string {
    return `${this.prefix}:observed:${envId}`;
  }

  private indexKey(): string {
    return `${this.prefix}:environments`;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw redisFailure(this.redis, error);
    }
  }

  async getDesired(envId: string): Promise<DesiredState | null> {
    const key = this.desiredKey(envId);
    const raw = await this.call(() => this.redis.get(key));
    return raw === null ? null : parseDesired(raw, key);
  }

  /**
   * Atomic read-modify-write of an environment's desired state: concurrent updates (two webhook
   * deliveries at once, on any number of servers) each see the other's result, none is lost.
   * `fn` may run more than once, so it must be pure. Bumps `generation` when the state changed;
   * returns what is stored afterwards.
   */
  async updateDesired(envId: string, fn: DesiredUpdate): Promise<DesiredState | null> {
    const key = this.desiredKey(envId);
    for (let attempt = 1; attempt <= this.maxUpdateAttempts; attempt++) {
      const raw = await this.call(() => this.redis.get(key));
      const current = raw === null ? null : parseDesired(raw, key);
      const next = fn(current);
      if (next === null || !changed(current, next)) return current;
      if (next.envId !== envId) {
        throw new PrboxError(`a desired state for ${next.envId} was about to be stored as ${envId}`, {
          kind: "internal",
        });
      }
      const stored: DesiredState = { ...next, generation: (current?.generation ?? 0) + 1 };
      const written = await this.call(() =>
        this.redis.eval(COMPARE_AND_SET, 2, key, this.indexKey(), raw ?? "", JSON.stringify(stored), envId),
      );
      if (written === 1) return stored;
      // Lost the race: back off a little (randomly, so racers spread out) and read again.
      await sleep(Math.random() * Math.min(50, attempt * 2));
    }
    throw new PrboxError(
      `could not update the desired state of ${envId}: ${String(this.maxUpdateAttempts)} concurrent updates won the race`,
      {
        kind: "transient",
      },
    );
  }

  async getObserved(envId: string): Promise<ObservedState | null> {
    const key = this.observedKey(envId);
    const raw = await this.call(() => this.redis.get(key));
    return raw === null ? null : parseObserved(raw, key);
  }

  /** Written by the reconciler only, one job per environment at a time: a plain write is enough. */
  async setObserved(state: ObservedState): Promise<void> {
    await this.call(() => this.redis.set(this.observedKey(state.envId), JSON.stringify(state)));
  }

  /** Every environment's desired state, for the periodic sweep and the live-environment cap. */
  async listDesired(): Promise<DesiredState[]> {
    const ids = await this.environmentIds();
    const values = await this.getMany(ids.map((id) => this.desiredKey(id)));
    // An id whose record is gone was forgotten between the two calls.
    return values.flatMap((raw, i) => (raw === null ? [] : [parseDesired(raw, this.desiredKey(ids[i] ?? ""))]));
  }

  /** Every environment's desired state with what the reconciler last did, for the environments page. */
  async listStates(): Promise<StoredEnvironment[]> {
    const ids = await this.environmentIds();
    const keys = ids.flatMap((id) => [this.desiredKey(id), this.observedKey(id)]);
    const values = await this.getMany(keys);
    return ids.flatMap((id, i) => {
      const [desired, observed] = [values[2 * i] ?? null, values[2 * i + 1] ?? null];
      if (desired === null) return [];
      return [
        {
          desired: parseDesired(desired, this.desiredKey(id)),
          observed: observed === null ? null : parseObserved(observed, this.observedKey(id)),
        },
      ];
    });
  }

  private async environmentIds(): Promise<string[]> {
    const ids = await this.call(() => this.redis.smembers(this.indexKey()));
    return ids.sort();
  }

  /** MGET in chunks, so thousands of environments do not make one huge command. */
  private async getMany(keys: string[]): Promise<(string | null)[]> {
    const values: (string | null)[] = [];
    for (let start = 0; start < keys.length; start += MGET_CHUNK) {
      const chunk = keys.slice(start, start + MGET_CHUNK);
      values.push(...(await this.call(() => this.redis.mget(...chunk))));
    }
    return values;
  }

  /**
   * Removes an environment's desired and observed state once it is destroyed and reported.
   * With `ifGeneration`, only while the desired state is still the one the caller acted on: a
   * reopen that arrived during the teardown is kept. Returns whether the records were removed.
   */
  async forget(envId: string, options: { ifGeneration?: number } = {}): Promise<boolean> {
    const generation = options.ifGeneration === undefined ? "" : String(options.ifGeneration);
    const keys = [this.desiredKey(envId), this.observedKey(envId), this.indexKey()];
    const removed = await this.call(() => this.redis.eval(FORGET, keys.length, ...keys, generation, envId));
    return removed === 1;
  }

  private slotsKey(): string {
    return `${this.prefix}:live`;
  }

  /**
   * Takes one of `max` slots for an environment about to deploy, atomically; an environment
   * holding one (or `live` already) keeps it. Returns whether it holds a slot and how many are held.
   */
  async claimSlot(envId: string, max: number, live: boolean): Promise<{ claimed: boolean; live: number }> {
    const answer = await this.call(() =>
      this.redis.eval(CLAIM_SLOT, 1, this.slotsKey(), envId, String(max), live ? "1" : "0"),
    );
    const [granted, held] = answer as [number, number];
    return { claimed: granted === 1, live: held };
  }

  /** Gives an environment's slot back (torn down, or holding without being live). */
  async releaseSlot(envId: string): Promise<void> {
    await this.call(() => this.redis.srem(this.slotsKey(), envId));
  }

  /** Whether `id` was recorded by rememberDelivery within its TTL. */
  async knowsDelivery(id: string): Promise<boolean> {
    return (await this.call(() => this.redis.exists(`${this.prefix}:delivery:${id}`))) === 1;
  }

  /**
   * Records a webhook delivery id for `ttlSeconds`. True the first time an id is seen, false
   * for a redelivery (the forge retried, or two servers received the same delivery).
   */
  async rememberDelivery(id: string, ttlSeconds: number): Promise<boolean> {
    if (id === "") throw new PrboxError("a delivery id must not be empty", { kind: "internal" });
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    const answer = await this.call(() => this.redis.set(`${this.prefix}:delivery:${id}`, "1", "EX", ttl, "NX"));
    return answer === "OK";
  }

  /** Forgets a delivery id, so a redelivery is processed (the first attempt could not be stored). */
  async forgetDelivery(id: string): Promise<void> {
    await this.call(() => this.redis.del(`${this.prefix}:delivery:${id}`));
  }
}
