import type { HookDeletePolicy } from "../model.js";
import { applyObjects, type ApplyOptions } from "./apply.js";
import type { Cluster } from "./client.js";
import type { PreparedObject } from "./prepare.js";
import { refOf, type ObjectRef } from "./refs.js";
import { deleteAndWait, deleteObject } from "./removal.js";
import { waitForReady } from "./wait.js";

const WEIGHT_ANNOTATION = "helm.sh/hook-weight";

function weightOf(item: PreparedObject): number {
  const weight = Number.parseInt(item.object.metadata.annotations?.[WEIGHT_ANNOTATION] ?? "0", 10);
  return Number.isFinite(weight) ? weight : 0;
}

// Helm's default when a hook names no policy.
export function policiesOf(item: PreparedObject): readonly HookDeletePolicy[] {
  return item.deletePolicies.length > 0 ? item.deletePolicies : ["before-hook-creation"];
}

function withPolicy(items: readonly PreparedObject[], policy: HookDeletePolicy): ObjectRef[] {
  return items.filter((i) => policiesOf(i).includes(policy)).map((i) => refOf(i.object));
}

/** Hooks grouped by helm.sh/hook-weight, lowest first, render order kept within a weight (as Helm does). */
export function byWeight(hooks: readonly PreparedObject[]): PreparedObject[][] {
  const groups = new Map<number, PreparedObject[]>();
  for (const hook of hooks) {
    const weight = weightOf(hook);
    groups.set(weight, [...(groups.get(weight) ?? []), hook]);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, group]) => group);
}

async function runGroup(
  cluster: Cluster,
  group: readonly PreparedObject[],
  options: ApplyOptions,
): Promise<ObjectRef[]> {
  const gone = { timeoutMs: options.timeoutMs, signal: options.signal };
  await deleteAndWait(cluster, withPolicy(group, "before-hook-creation"), gone);
  const refs = await applyObjects(cluster, group, options);
  try {
    await waitForReady(cluster, refs, { timeoutMs: options.timeoutMs, signal: options.signal, log: options.log });
  } catch (error) {
    // The error already holds the diagnosis (pods, logs), so the evidence can go.
    await Promise.all(withPolicy(group, "hook-failed").map((ref) => deleteObject(cluster, ref)));
    throw error;
  }
  await Promise.all(withPolicy(group, "hook-succeeded").map((ref) => deleteObject(cluster, ref)));
  return refs;
}

/**
 * Runs the hooks of one phase as Helm does: weight by weight, each weight's
 * objects applied together and waited for (Jobs complete) before the next,
 * honouring hook-delete-policy. A failing hook stops the deploy.
 */
export async function runHooks(
  cluster: Cluster,
  hooks: readonly PreparedObject[],
  options: ApplyOptions,
): Promise<ObjectRef[]> {
  const applied: ObjectRef[] = [];
  for (const group of byWeight(hooks)) {
    applied.push(...(await runGroup(cluster, group, options)));
  }
  return applied;
}
