/**
 * What the core needs from the world, in one place (docs/architecture.md §2): the state store
 * (src/queue's RedisStateStore implements every part), the queue (src/queue), and the forges
 * (the Forge interface in ./forge.ts, implemented in src/forges/<forge>/; their listing in
 * ./listing.ts). The core imports none of their implementations; src/main passes them in.
 */
import type { DesiredState, ObservedState } from "./desired.js";

export type { Forge, ForgeRegistry } from "./forge.js";
export type { PullRequestLister } from "./listing.js";

/** The part of the state store the webhook edge uses. */
export interface IntakeStore {
  /** Read after a command is stored, to answer `/keep` and `/extend` with the deadline. */
  getDesired(envId: string): Promise<DesiredState | null>;
  updateDesired(envId: string, fn: (current: DesiredState | null) => DesiredState | null): Promise<DesiredState | null>;
  /** Whether a delivery id was remembered (and has not expired). */
  knowsDelivery(id: string): Promise<boolean>;
  rememberDelivery(id: string, ttlSeconds: number): Promise<boolean>;
  getObserved(envId: string): Promise<ObservedState | null>;
}

export interface ReconcileQueue {
  enqueueReconcile(envId: string): Promise<void>;
}

/** What the reconciler needs from the state store (src/queue's RedisStateStore satisfies it). */
export interface StateStore {
  getDesired(envId: string): Promise<DesiredState | null>;
  /** A member of a group wakes its sleeping host (src/core/group-steps.ts). */
  updateDesired(envId: string, fn: (current: DesiredState | null) => DesiredState | null): Promise<DesiredState | null>;
  listDesired(): Promise<DesiredState[]>;
  getObserved(envId: string): Promise<ObservedState | null>;
  setObserved(state: ObservedState): Promise<void>;
  /** The cap's atomic claim (ADR 18): takes one of `max` slots, or keeps the one held. */
  claimSlot(envId: string, max: number, live: boolean): Promise<{ claimed: boolean; live: number }>;
  releaseSlot(envId: string): Promise<void>;
}

/** The part of the state store the cluster resync uses to take a namespace back. */
export interface AdoptStore {
  getDesired(envId: string): Promise<DesiredState | null>;
  updateDesired(envId: string, fn: (current: DesiredState | null) => DesiredState | null): Promise<DesiredState | null>;
  setObserved(state: ObservedState): Promise<void>;
}
