import type { EnvironmentRecord } from "../cluster/index.js";
import type { DesiredState, ObservedState } from "../core/desired.js";
import type { QueueCounts } from "../queue/index.js";
import type { StoredEnvironment } from "../queue/store.js";

/**
 * One word for where an environment stands, from the desired state (what should be), the observed
 * state (what the reconciler last did) and the cluster's record (what runs).
 */
export type PageState =
  "ready" | "failed" | "deploying" | "queued" | "waiting" | "sleeping" | "tearing down" | "unknown";

export interface PageEnvironment {
  id: string;
  forge: string | null;
  repo: string | null;
  pr: number | null;
  /** The PR or MR on its forge. */
  prUrl: string | null;
  branch: string | null;
  /** The commit that should run. */
  sha: string | null;
  /** The commit that runs, when it differs from `sha` (a deploy of a newer one is pending). */
  runningSha: string | null;
  state: PageState;
  /** Why it waits or is torn down, in the words the PR comment uses. */
  reason: string | null;
  /** The spec's `url`, or the first Ingress host; from the cluster. */
  previewUrl: string | null;
  /** The start of the last deploy (as `prbox get` shows AGE). */
  deployedAt: string | null;
  lastError: string | null;
  namespace: string | null;
  /** Found in the cluster but not in Redis: deployed by the CLI, or its Redis record is gone. */
  clusterOnly: boolean;
}

/** What the queue has to do. `waiting` includes the jobs in their short de-duplication delay. */
export interface PageQueue {
  waiting: number;
  active: number;
  failed: number;
}

export interface EnvironmentsView {
  generatedAt: string;
  environments: PageEnvironment[];
  /** null when Redis did not answer. */
  queue: PageQueue | null;
  /** What could not be read, shown on the page so that a partial page is not taken as the whole. */
  notices: string[];
}

/** Where the page reads from; every source may fail or hang on its own. */
export interface PageSources {
  states(): Promise<StoredEnvironment[]>;
  queueCounts(): Promise<QueueCounts>;
  clusterRecords(): Promise<EnvironmentRecord[]>;
  /** Web addresses of the forges, for links to PRs and MRs. */
  forgeWebUrls: { github: string; gitlab: string };
  /** How long each source may take; default 2000 ms. */
  timeoutMs?: number;
  now?: () => Date;
}

type Settled<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The source's answer, or why there is none: an error, or no answer within the timeout. */
async function settle<T>(read: () => Promise<T>, timeoutMs: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return { ok: true, value: await Promise.race([read(), timeout]) };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Everything the page shows, read with one Redis pass (index, then desired and observed states in
 * MGET chunks), one queue count and one namespace list, all at once and each bounded in time. A
 * source that fails leaves a notice and its part of the page empty; the rest still renders.
 */
export async function gatherEnvironments(sources: PageSources): Promise<EnvironmentsView> {
  const timeoutMs = sources.timeoutMs ?? 2000;
  const [states, counts, records] = await Promise.all([
    settle(() => sources.states(), timeoutMs),
    settle(() => sources.queueCounts(), timeoutMs),
    settle(() => sources.clusterRecords(), timeoutMs),
  ]);
  const notices: string[] = [];
  if (!states.ok)
    notices.push(
      `Redis did not give the environments' records (${states.reason}); only what the cluster knows is shown.`,
    );
  if (!counts.ok) notices.push(`Redis did not give the queue's counts (${counts.reason}).`);
  if (!records.ok)
    notices.push(
      `The Kubernetes cluster did not answer (${records.reason}); preview links and deploy times are missing.`,
    );
  return {
    generatedAt: (sources.now?.() ?? new Date()).toISOString(),
    environments: mergeEnvironments(
      states.ok ? states.value : [],
      records.ok ? records.value : [],
      sources.forgeWebUrls,
    ),
    queue: counts.ok
      ? {
          waiting: counts.value.waiting + counts.value.delayed,
          active: counts.value.active,
          failed: counts.value.failed,
        }
      : null,
    notices,
  };
}

/**
 * The live environments: every Redis record that is not torn down yet, with its cluster record,
 * then the cluster's records Redis does not know. Sorted by repository and PR.
 */
export function mergeEnvironments(
  states: StoredEnvironment[],
  records: EnvironmentRecord[],
  forges: PageSources["forgeWebUrls"],
): PageEnvironment[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  const known = states.filter(
    ({ desired, observed }) => !(desired.action === "destroy" && observed?.status === "destroyed"),
  );
  const fromRedis = known.map((s) => fromState(s, byId.get(s.desired.envId) ?? null, forges));
  const ids = new Set(states.map((s) => s.desired.envId));
  const clusterOnly = records.filter((r) => !ids.has(r.id)).map((r) => fromRecord(r, forges));
  return [...fromRedis, ...clusterOnly].sort(byRepoAndPr);
}

function byRepoAndPr(a: PageEnvironment, b: PageEnvironment): number {
  return (
    (a.repo ?? "\uffff").localeCompare(b.repo ?? "\uffff") || (a.pr ?? 0) - (b.pr ?? 0) || a.id.localeCompare(b.id)
  );
}

function fromState(
  { desired, observed }: StoredEnvironment,
  record: EnvironmentRecord | null,
  forges: PageSources["forgeWebUrls"],
): PageEnvironment {
  const { forge, repo, pr } = desired.ref;
  return {
    id: desired.envId,
    forge,
    repo,
    pr,
    prUrl: prUrl(forge, repo, pr, forges),
    branch: desired.branch,
    sha: desired.sha,
    runningSha: runningSha(desired, observed, record),
    state: stateOf(desired, observed, record),
    reason: reasonOf(desired, observed),
    previewUrl: record?.url ?? null,
    deployedAt: record?.deployedAt ?? (observed?.sha ? observed.at : null),
    lastError: lastError(observed, record),
    namespace: record?.namespace ?? null,
    clusterOnly: false,
  };
}

function runningSha(
  desired: DesiredState,
  observed: ObservedState | null,
  record: EnvironmentRecord | null,
): string | null {
  const running = record?.sha ?? observed?.sha ?? null;
  return running !== desired.sha ? running : null;
}

/** A failed deploy's report; else what the cluster's record still says about the last deploy. */
function lastError(observed: ObservedState | null, record: EnvironmentRecord | null): string | null {
  if (observed?.status === "failed") return observed.error;
  return record?.lastError ?? null;
}

function fromRecord(record: EnvironmentRecord, forges: PageSources["forgeWebUrls"]): PageEnvironment {
  return {
    id: record.id,
    forge: record.forge,
    repo: record.repo,
    pr: record.pr,
    prUrl:
      record.forge && record.repo && record.pr !== null ? prUrl(record.forge, record.repo, record.pr, forges) : null,
    branch: record.branch,
    sha: record.sha,
    runningSha: null,
    state: record.status,
    reason: null,
    previewUrl: record.url,
    deployedAt: record.deployedAt,
    lastError: record.lastError,
    namespace: record.namespace,
    clusterOnly: true,
  };
}

/** Level-triggered like the reconciler: compare what should be with what was last done. */
export function stateOf(
  desired: DesiredState,
  observed: ObservedState | null,
  record: EnvironmentRecord | null,
): PageState {
  const grouped = groupState(desired, observed);
  if (grouped) return grouped;
  if (desired.action === "destroy") return "tearing down";
  if (desired.action === "wait" || (observed?.status === "waiting" && observed.generation === desired.generation))
    return "waiting";
  return doneState(desired, observed) ?? deployingOrQueued(desired, record);
}

/** Ready, failed or sleeping (ADR 28) as the reconciler left it, when that is still what is wanted. */
function doneState(desired: DesiredState, observed: ObservedState | null): PageState | null {
  if (observed?.status === "sleeping") return desired.sleepSince ? "sleeping" : null;
  const done = observed !== null && observed.sha === desired.sha && observed.reloadRequest >= desired.reloadRequest;
  return done && (observed.status === "ready" || observed.status === "failed") ? observed.status : null;
}

function deployingOrQueued(desired: DesiredState, record: EnvironmentRecord | null): PageState {
  return record?.status === "deploying" && record.sha === desired.sha ? "deploying" : "queued";
}

/**
 * In a group of PRs sharing a preview (ADR 29): a member waits on its host's preview; a closed
 * host's preview, kept for the open PRs of its group, runs on.
 */
function groupState(desired: DesiredState, observed: ObservedState | null): PageState | null {
  if (lingering(desired, observed)) return observed?.status === "failed" ? "failed" : "ready";
  const joined = observed?.status === "grouped" && observed.generation === desired.generation;
  return joined && desired.action === "deploy" ? "waiting" : null;
}

function lingering(desired: DesiredState, observed: ObservedState | null): boolean {
  const live = observed?.status === "ready" || observed?.status === "failed";
  return desired.closed && live && (observed.members?.length ?? 0) > 0;
}

function reasonOf(desired: DesiredState, observed: ObservedState | null): string | null {
  if (desired.waitReason) return desired.waitReason;
  if (observed?.status === "grouped") return `part of the preview of ${observed.host ?? "another pull request"}`;
  if (lingering(desired, observed)) return "the pull request is closed; kept for the other pull requests of its branch";
  // The reconciler records a wait it decided itself (the cap on live environments) as the error.
  if (observed?.status === "waiting" && observed.generation === desired.generation) return observed.error;
  if (desired.action === "destroy" && desired.closed) return "the pull request is closed";
  return null;
}

/** The PR (GitHub) or MR (GitLab) page; each path segment encoded, whatever the stored repo says. */
export function prUrl(forge: string, repo: string, pr: number, forges: PageSources["forgeWebUrls"]): string | null {
  const path = repo.split("/").map(encodeURIComponent).join("/");
  if (forge === "github") return `${forges.github}/${path}/pull/${pr}`;
  if (forge === "gitlab") return `${forges.gitlab}/${path}/-/merge_requests/${pr}`;
  return null;
}
