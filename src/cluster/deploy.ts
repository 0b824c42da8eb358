import type { RbacV1Subject, V1Namespace } from "@kubernetes/client-node";
import { defaultBaseline, type Baseline } from "../config/baseline.js";
import { describeError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import type { RenderedEnvironment } from "../model.js";
import { currentSubject, ensureEnvironmentAccess } from "./access.js";
import { applyObjects, type ApplyOptions } from "./apply.js";
import { applyBaseline, prepareBaseline, type PreparedBaseline } from "./baseline/apply.js";
import { podSecurityLabels } from "./baseline/objects.js";
import type { Cluster } from "./client.js";
import { runHooks } from "./hooks.js";
import { runTests, type TestResult } from "./tests.js";
import { checkObjects } from "./check.js";
import { listOwnedObjects, type OwnedObject } from "./inventory.js";
import { ANNOTATION_KINDS } from "./keys.js";
import { formatKinds, kindsOf, unionKinds, type KindRef } from "./kinds.js";
import {
  ensureNamespace,
  environmentNamespaces,
  patchNamespaceMetadata,
  type NamespaceMetadata,
} from "./namespaces.js";
import { throwIfAborted } from "./poll.js";
import { prepareObjects, type PreparedObject } from "./prepare.js";
import { pruneObjects, staleObjects } from "./prune.js";
import { extraMetadata, primaryMetadata } from "./record.js";
import { recordedKinds, setStatus } from "./records.js";
import { identity, refOf, type ObjectRef } from "./refs.js";
import { deleteAndWait } from "./removal.js";
import { isUnchanged, withAppliedHash } from "./unchanged.js";
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
  /** PR mode: Pod Security, NetworkPolicy, quota, limits and copied Secrets of the namespace (default defaultBaseline()). */
  baseline?: Baseline;
}

export interface DeployResult {
  namespace: string;
  /** Every object of the render, in the order applied, including the unchanged ones. */
  applied: ObjectRef[];
  /** The objects found exactly as they would be applied, so not sent again (see unchanged.ts). */
  unchanged: ObjectRef[];
  pruned: ObjectRef[];
  /** The chart's test hooks of the boxes with `tests = true`, run once the rest is ready (tests.ts). */
  tests: TestResult[];
  /** applyMs: everything but the main readiness wait and the tests, hooks included; waitMs: that wait; testMs: the tests. */
  timings: { applyMs: number; waitMs: number; testMs: number };
}

interface Context {
  cluster: Cluster;
  rendered: RenderedEnvironment;
  options: DeployOptions;
  apply: ApplyOptions;
  /** Recorded kinds united with the render's: what prune and /reload must list. */
  kinds: KindRef[];
  /** The kinds the primary namespace records now (see recordKinds). */
  recorded: KindRef[];
  /** Who prbox is, when it binds the environment ClusterRole to itself; null otherwise. */
  subject: RbacV1Subject | null;
  /** PR mode: the baseline to apply before anything else; null in CLI mode. */
  baseline: PreparedBaseline | null;
  /** The namespaces labelled as the environment's when the deploy started. */
  listed: V1Namespace[];
}

// Long enough for a busy API server's RBAC cache, short enough that a role without pod access fails fast.
const ACCESS_WAIT_MS = 30_000;

/** Creates or adopts one namespace of the environment and, when configured, takes prbox's rights in it. */
async function ensureUsable(ctx: Context, name: string, metadata: NamespaceMetadata): Promise<void> {
  const { cluster, rendered, options } = ctx;
  // A pull request's namespace is always prbox's own: never adopt an existing one in PR mode.
  const adopt = rendered.environment.mode !== "pr";
  await ensureNamespace(cluster, name, rendered.environment.id, metadata, {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    adopt,
    listed: ctx.listed.find((ns) => ns.metadata?.name === name) ?? null,
  });
  if (ctx.subject && options.environmentClusterRole) {
    const timeoutMs = Math.min(options.timeoutMs, ACCESS_WAIT_MS);
    await ensureEnvironmentAccess(cluster, name, ctx.subject, {
      clusterRole: options.environmentClusterRole,
      timeoutMs,
      signal: options.signal,
    });
  }
}

function extraNamespaces(rendered: RenderedEnvironment, prepared: readonly PreparedObject[]): string[] {
  const named = prepared.map((p) => p.object.metadata.namespace).filter((n): n is string => n !== undefined);
  const all = new Set([...rendered.environment.extraNamespaces, ...named]);
  all.delete(rendered.environment.namespace);
  return [...all].sort();
}

/**
 * Crash safety of prune: before anything is applied, the kinds about to be applied are added
 * to the list on the primary namespace, and the list is narrowed to the render's kinds only
 * after prune succeeded. A deploy that dies in between leaves the wider list, so the next
 * deploy still lists (and prunes) every kind that may hold leftovers. A kind is added only once
 * the API server accepted its objects in the dry run (check.ts): a refused kind is never
 * recorded, so it cannot make later deploys list a kind prbox may not read.
 */
async function recordKinds(ctx: Context, kinds: readonly KindRef[]): Promise<void> {
  if (formatKinds(kinds) === formatKinds(ctx.recorded)) return;
  await patchNamespaceMetadata(ctx.cluster, ctx.rendered.environment.namespace, {
    annotations: { [ANNOTATION_KINDS]: formatKinds(kinds) },
  });
  ctx.recorded = [...kinds];
}

async function ensurePrimary(ctx: Context, startedAt: Date): Promise<void> {
  const metadata = primaryMetadata(ctx.rendered, ctx.recorded, startedAt);
  // Created with its Pod Security labels: no pod is ever admitted in the namespace without them.
  if (ctx.baseline) metadata.labels = { ...metadata.labels, ...podSecurityLabels(ctx.baseline.baseline.podSecurity) };
  await ensureUsable(ctx, ctx.rendered.environment.namespace, metadata);
}

async function ensureExtras(ctx: Context, prepared: readonly PreparedObject[]): Promise<void> {
  for (const extra of extraNamespaces(ctx.rendered, prepared))
    await ensureUsable(ctx, extra, extraMetadata(ctx.rendered));
}

/** The environment's namespaces: those labelled as its own when the deploy started, and those it ensured. */
function namespaceNames(ctx: Context, prepared: readonly PreparedObject[]): string[] {
  const listed = ctx.listed.map((ns) => ns.metadata?.name ?? "").filter((n) => n !== "");
  const ensured = [ctx.rendered.environment.namespace, ...extraNamespaces(ctx.rendered, prepared)];
  return [...new Set([...listed, ...ensured])];
}

/** /reload: every labelled object goes (controllers' pods with them: Foreground), the namespace stays. */
async function deleteAllObjects(ctx: Context, owned: readonly OwnedObject[]): Promise<void> {
  ctx.apply.log.info({ objects: owned.length }, "deleting every object of the environment before a fresh deploy");
  const refs = owned.map((o) => o.ref);
  await deleteAndWait(ctx.cluster, refs, {
    timeoutMs: ctx.options.timeoutMs,
    signal: ctx.options.signal,
    propagation: "Foreground",
  });
}

/** The environment's objects as they are now: one list per kind and namespace (none after /reload deleted them). */
async function liveObjects(ctx: Context, prepared: readonly PreparedObject[]): Promise<OwnedObject[]> {
  const owned = await listOwnedObjects(
    ctx.cluster,
    ctx.rendered.environment.id,
    ctx.kinds,
    namespaceNames(ctx, prepared),
    ctx.apply.log,
  );
  if (!ctx.options.fresh) return owned;
  await deleteAllObjects(ctx, owned);
  return [];
}

/** Main-phase objects whose live version already is what prbox would apply; hooks always run. */
function unchangedObjects(prepared: readonly PreparedObject[], live: readonly OwnedObject[]): Set<PreparedObject> {
  const byIdentity = new Map(live.map((o) => [identity(o.ref), o.object]));
  return new Set(
    prepared.filter((p) => p.phase === "main" && isUnchanged(p.object, byIdentity.get(identity(refOf(p.object))))),
  );
}

async function rollOut(ctx: Context, prepared: readonly PreparedObject[]): Promise<DeployResult> {
  const started = Date.now();
  const { cluster, apply, rendered } = ctx;
  const phase = (p: PreparedObject["phase"]): PreparedObject[] => prepared.filter((o) => o.phase === p);
  const { baseline } = ctx;
  if (baseline)
    await applyBaseline(ctx.cluster, ctx.rendered.environment.namespace, baseline.baseline, baseline.sources);
  await ensureExtras(ctx, prepared);
  const live = await liveObjects(ctx, prepared);
  const unchanged = unchangedObjects(prepared, live);
  const stale = staleObjects(
    live,
    prepared.map((p) => refOf(p.object)),
  );
  const changed = prepared.filter((p) => !unchanged.has(p));
  apply.log.info(
    { changed: changed.length, unchanged: unchanged.size, stale: stale.length },
    "compared the render with the live objects",
  );
  if (changed.length > 0) {
    await checkObjects(cluster, rendered.environment.id, changed, new Set(live.map((o) => identity(o.ref))), apply);
    await recordKinds(ctx, unionKinds(ctx.recorded, kindsOf(prepared.map((p) => p.object))));
  }
  const applied = await runHooks(cluster, phase("pre"), apply);
  const main = await applyObjects(cluster, phase("main"), apply, (item) => unchanged.has(item));
  applied.push(...main);
  const pruned = await pruneObjects(cluster, stale, { concurrency: apply.concurrency, log: apply.log });
  await recordKinds(ctx, kindsOf(prepared.map((p) => p.object)));
  const waitStarted = Date.now();
  if (ctx.options.wait) {
    await waitForReady(cluster, main, { timeoutMs: ctx.options.timeoutMs, signal: ctx.options.signal, log: apply.log });
  }
  const waitMs = Date.now() - waitStarted;
  applied.push(...(await runHooks(cluster, phase("post"), apply)));
  const testsStarted = Date.now();
  // Tests check a ready environment: without the wait (`prbox run --no-wait`) there is none to check.
  const tests = ctx.options.wait ? await runTests(cluster, phase("test"), apply) : [];
  const testMs = Date.now() - testsStarted;
  const timings = { applyMs: Date.now() - started - waitMs - testMs, waitMs, testMs };
  return {
    namespace: rendered.environment.namespace,
    applied,
    unchanged: [...unchanged].map((p) => refOf(p.object)),
    pruned,
    tests,
    timings,
  };
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
 * record on the primary one), one list per kind of what is live, a dry run of
 * every object that is not live as it would be applied (a refusal there applies
 * nothing), pre hooks, server-side apply of the changed main objects, prune of
 * what the render dropped, readiness, post hooks, the chart's tests (tests.ts: reported, never
 * thrown). The
 * record says "deploying" during, then "ready" or "failed" (with the error,
 * which is rethrown).
 */
export async function deployEnvironment(
  cluster: Cluster,
  rendered: RenderedEnvironment,
  options: DeployOptions,
): Promise<DeployResult> {
  const log = (options.log ?? silentLogger).child({ envId: rendered.environment.id });
  const apply: ApplyOptions = {
    concurrency: options.concurrency ?? 24,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    log,
  };
  // Discovery and the namespace list are independent: asked at once.
  const [checked, listed] = await Promise.all([
    prepareObjects(cluster, rendered),
    environmentNamespaces(cluster, rendered.environment.id),
  ]);
  const prepared = checked.map((p) => ({ ...p, object: withAppliedHash(p.object) }));
  throwIfAborted(options.signal, `deploying environment ${rendered.environment.id}`);
  const recorded = recordedKinds(listed);
  const subject = options.environmentClusterRole ? await currentSubject(cluster) : null;
  // PR mode only: parsing the default baseline is ~10 ms `prbox run` need not spend.
  const baseline =
    rendered.environment.mode === "pr"
      ? await prepareBaseline(cluster, rendered, prepared, options.baseline ?? defaultBaseline())
      : null;
  const kinds = unionKinds(recorded, kindsOf(prepared.map((p) => p.object)));
  const ctx: Context = { cluster, rendered, options, apply, kinds, recorded, subject, baseline, listed };

  log.info(
    { namespace: rendered.environment.namespace, objects: prepared.length, fresh: options.fresh ?? false },
    "deploying",
  );
  // Outside the try: a namespace refused as another environment's must not get our "failed" status.
  await ensurePrimary(ctx, (options.now ?? (() => new Date()))());
  try {
    const result = await rollOut(ctx, prepared);
    await setStatus(cluster, rendered.environment.namespace, "ready");
    log.info(
      {
        applied: result.applied.length,
        unchanged: result.unchanged.length,
        pruned: result.pruned.length,
        ...result.timings,
      },
      "deployed",
    );
    return result;
  } catch (error) {
    await recordFailure(ctx, error);
    throw error;
  }
}
