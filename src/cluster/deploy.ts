import type { RbacV1Subject } from "@kubernetes/client-node";
import { DEFAULT_BASELINE, type Baseline } from "../config/baseline.js";
import { describeError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import type { RenderedEnvironment } from "../model.js";
import { currentSubject, ensureEnvironmentAccess } from "./access.js";
import { applyObjects, type ApplyOptions } from "./apply.js";
import { applyBaseline, prepareBaseline, type PreparedBaseline } from "./baseline/apply.js";
import { podSecurityLabels } from "./baseline/objects.js";
import type { Cluster } from "./client.js";
import { runHooks } from "./hooks.js";
import { listOwnedObjects } from "./inventory.js";
import { ANNOTATION_KINDS } from "./keys.js";
import { formatKinds, kindsOf, unionKinds, type KindRef } from "./kinds.js";
import { ensureNamespace, environmentNamespaces, patchNamespaceMetadata, type NamespaceMetadata } from "./namespaces.js";
import { throwIfAborted } from "./poll.js";
import { prepareObjects, type PreparedObject } from "./prepare.js";
import { pruneEnvironment } from "./prune.js";
import { extraMetadata, primaryMetadata } from "./record.js";
import { recordedKinds, setStatus } from "./records.js";
import { refOf, type ObjectRef } from "./refs.js";
import { deleteAndWait } from "./removal.js";
import { waitForReady } from "./wait.js";

export interface DeployOptions {
  /** Wait for the main phase's workloads to become ready (hooks are always waited for). */
  wait: boolean;
  /** Bounds each wait: every hook weight, the readiness of the main phase, deletions. */
  timeoutMs: number;
  concurrency?: number;
  /** `/reload`: delete every object of the environment (not its namespace) before applying. */
  fresh?: boolean;
  signal?: AbortSignal;
  log?: Logger;
  now?: () => Date;
  /**
   * PRBOX_ENVIRONMENT_CLUSTER_ROLE: bind this ClusterRole to prbox in every namespace of the
   * environment before writing into it (prbox holds no namespaced rights cluster-wide).
   */
  environmentClusterRole?: string | null;
  /** PR mode: Pod Security, NetworkPolicy, quota, limits and copied Secrets of the namespace (default DEFAULT_BASELINE). */
  baseline?: Baseline;
}

export interface DeployResult {
  namespace: string;
  applied: ObjectRef[];
  pruned: ObjectRef[];
  /** applyMs: everything but the main readiness wait, hooks included; waitMs: that wait. */
  timings: { applyMs: number; waitMs: number };
}

interface Context {
  cluster: Cluster;
  rendered: RenderedEnvironment;
  options: DeployOptions;
  apply: ApplyOptions;
  /** Recorded kinds united with the render's: what prune and /reload must list. */
  kinds: KindRef[];
  /** Who prbox is, when it binds the environment ClusterRole to itself; null otherwise. */
  subject: RbacV1Subject | null;
  /** PR mode: the baseline to apply before anything else; null in CLI mode. */
  baseline: PreparedBaseline | null;
}

// Long enough for a busy API server's RBAC cache, short enough that a role without pod access fails fast.
const ACCESS_WAIT_MS = 30_000;

/** Creates or adopts one namespace of the environment and, when configured, takes prbox's rights in it. */
async function ensureUsable(ctx: Context, name: string, metadata: NamespaceMetadata): Promise<void> {
  const { cluster, rendered, options } = ctx;
  // A pull request's namespace is always prbox's own: never adopt an existing one in PR mode.
  const adopt = rendered.environment.mode !== "pr";
  await ensureNamespace(cluster, name, rendered.environment.id, metadata, { timeoutMs: options.timeoutMs, signal: options.signal, adopt });
  if (ctx.subject && options.environmentClusterRole) {
    const timeoutMs = Math.min(options.timeoutMs, ACCESS_WAIT_MS);
    await ensureEnvironmentAccess(cluster, name, ctx.subject, { clusterRole: options.environmentClusterRole, timeoutMs, signal: options.signal });
  }
}

function extraNamespaces(rendered: RenderedEnvironment, prepared: readonly PreparedObject[]): string[] {
  const named = prepared.map((p) => p.object.metadata.namespace).filter((n): n is string => n !== undefined);
  const all = new Set([...rendered.environment.extraNamespaces, ...named]);
  all.delete(rendered.environment.namespace);
  return [...all].sort();
}

/**
 * Crash safety of prune: the union of the recorded kinds and the new ones is
 * written on the primary namespace BEFORE anything is applied, and narrowed
 * to the new kinds only after prune succeeded. A deploy that dies in between
 * leaves the wider list, so the next deploy still lists (and prunes) every
 * kind that may hold leftovers.
 */
async function ensurePrimary(ctx: Context, startedAt: Date): Promise<void> {
  const metadata = primaryMetadata(ctx.rendered, ctx.kinds, startedAt);
  // Created with its Pod Security labels: no pod is ever admitted in the namespace without them.
  if (ctx.baseline) metadata.labels = { ...metadata.labels, ...podSecurityLabels(ctx.baseline.baseline.podSecurity) };
  await ensureUsable(ctx, ctx.rendered.environment.namespace, metadata);
}

async function ensureExtras(ctx: Context, prepared: readonly PreparedObject[]): Promise<void> {
  for (const extra of extraNamespaces(ctx.rendered, prepared)) await ensureUsable(ctx, extra, extraMetadata(ctx.rendered));
}

async function namespaceNames(ctx: Context): Promise<string[]> {
  const namespaces = await environmentNamespaces(ctx.cluster, ctx.rendered.environment.id);
  return namespaces.map((ns) => ns.metadata?.name ?? "").filter((n) => n !== "");
}

/** /reload: every labelled object goes (controllers' pods with them: Foreground), the namespace stays. */
async function deleteAllObjects(ctx: Context): Promise<void> {
  const owned = await listOwnedObjects(ctx.cluster, ctx.rendered.environment.id, ctx.kinds, await namespaceNames(ctx), ctx.apply.log);
  ctx.apply.log.info({ objects: owned.length }, "deleting every object of the environment before a fresh deploy");
  const refs = owned.map((o) => o.ref);
  await deleteAndWait(ctx.cluster, refs, { timeoutMs: ctx.options.timeoutMs, signal: ctx.options.signal, propagation: "Foreground" });
}

async function pruneAndRecord(ctx: Context, prepared: readonly PreparedObject[]): Promise<ObjectRef[]> {
  const { cluster, rendered } = ctx;
  const keep = prepared.map((p) => refOf(p.object));
  const pruned = await pruneEnvironment(cluster, rendered.environment.id, keep, {
    kinds: ctx.kinds,
    namespaces: await namespaceNames(ctx),
    concurrency: ctx.apply.concurrency,
    log: ctx.apply.log,
  });
  const annotations = { [ANNOTATION_KINDS]: formatKinds(kindsOf(prepared.map((p) => p.object))) };
  await patchNamespaceMetadata(cluster, rendered.environment.namespace, { annotations });
  return pruned;
}

async function rollOut(ctx: Context, prepared: readonly PreparedObject[]): Promise<DeployResult> {
  const started = Date.now();
  const phase = (p: PreparedObject["phase"]): PreparedObject[] => prepared.filter((o) => o.phase === p);
  const { baseline } = ctx;
  if (baseline) await applyBaseline(ctx.cluster, ctx.rendered.environment.namespace, baseline.baseline, baseline.sources);
  await ensureExtras(ctx, prepared);
  if (ctx.options.fresh) await deleteAllObjects(ctx);
  const applied = await runHooks(ctx.cluster, phase("pre"), ctx.apply);
  const main = await applyObjects(ctx.cluster, phase("main"), ctx.apply);
  applied.push(...main);
  const pruned = await pruneAndRecord(ctx, prepared);
  const waitStarted = Date.now();
  if (ctx.options.wait) {
    await waitForReady(ctx.cluster, main, { timeoutMs: ctx.options.timeoutMs, signal: ctx.options.signal, log: ctx.apply.log });
  }
  const waitMs = Date.now() - waitStarted;
  applied.push(...(await runHooks(ctx.cluster, phase("post"), ctx.apply)));
  const timings = { applyMs: Date.now() - started - waitMs, waitMs };
  return { namespace: ctx.rendered.environment.namespace, applied, pruned, timings };
}

async function recordFailure(ctx: Context, error: unknown): Promise<void> {
  try {
    await setStatus(ctx.cluster, ctx.rendered.environment.namespace, "failed", describeError(error));
  } catch (recordError) {
    // The deploy's own error is the one to report; losing the status is the lesser harm.
    ctx.apply.log.warn({ err: recordError }, "could not record the failed status on the namespace");
  }
}

/**
 * Makes the cluster match the render: namespaces (created or adopted, the
 * record on the primary one), pre hooks, server-side apply of the main
 * objects, prune of what the render dropped, readiness, post hooks. The
 * record says "deploying" during, then "ready" or "failed" (with the error,
 * which is rethrown).
 */
export async function deployEnvironment(cluster: Cluster, rendered: RenderedEnvironment, options: DeployOptions): Promise<DeployResult> {
  const log = (options.log ?? silentLogger).child({ environment: rendered.environment.id });
  const apply: ApplyOptions = { concurrency: options.concurrency ?? 24, timeoutMs: options.timeoutMs, signal: options.signal, log };
  const prepared = await prepareObjects(cluster, rendered);
  throwIfAborted(options.signal, `deploying environment ${rendered.environment.id}`);
  const recorded = recordedKinds(await environmentNamespaces(cluster, rendered.environment.id));
  const subject = options.environmentClusterRole ? await currentSubject(cluster) : null;
  const baseline = await prepareBaseline(cluster, rendered, prepared, options.baseline ?? DEFAULT_BASELINE);
  const ctx: Context = { cluster, rendered, options, apply, kinds: unionKinds(recorded, kindsOf(prepared.map((p) => p.object))), subject, baseline };

  log.info({ namespace: rendered.environment.namespace, objects: prepared.length, fresh: options.fresh ?? false }, "deploying");
  // Outside the try: a namespace refused as another environment's must not get our "failed" status.
  await ensurePrimary(ctx, (options.now ?? (() => new Date()))());
  try {
    const result = await rollOut(ctx, prepared);
    await setStatus(cluster, rendered.environment.namespace, "ready");
    log.info({ applied: result.applied.length, pruned: result.pruned.length, ...result.timings }, "deployed");
    return result;
  } catch (error) {
    await recordFailure(ctx, error);
    throw error;
  }
}
