import type { EnvironmentRecord } from "../cluster/index.js";
import type { ChecksEvent, PullRequestEvent } from "./events.js";
import type { ForgeName, ForgeRegistry, PullRequestRef } from "./forge.js";
import { adoptOrphans, type AdoptResult } from "./adopt.js";
import type { DesiredState, ObservedState } from "./desired.js";
import { intake, type IntakeDeps } from "./intake.js";
import type { IntakeStore } from "./ports.js";
import type { Listing, OpenPullRequest, PullRequestLister } from "./listing.js";
import type { SweepStore } from "./sweep.js";
import { nextDesired } from "./transitions.js";
import { prEnvironmentId } from "../spec/naming.js";

export interface ResyncStore extends IntakeStore, Pick<SweepStore, "listDesired"> {
  getDesired(envId: string): Promise<DesiredState | null>;
  setObserved(state: ObservedState): Promise<void>;
}

export interface ResyncDeps extends Omit<IntakeDeps, "store"> {
  store: ResyncStore;
  forges: ForgeRegistry;
  listers: readonly PullRequestLister[];
  /** The environments the cluster holds (src/cluster/records.ts listEnvironments). */
  records(): Promise<EnvironmentRecord[]>;
  now?: () => Date;
}

export interface ForgeCost extends Omit<Listing, "pulls"> {
  pulls: number;
}

export interface ResyncResult extends AdoptResult {
  /** Open PRs fed through the transitions because they differed from their desired state. */
  fed: string[];
  /** Live environments whose PR the forge says is closed. */
  closed: string[];
  /** Environments the forge could not answer for: left alone, tried again next time. */
  unknown: string[];
  /** Forges whose listing failed (nothing of theirs was decided from it). */
  failedForges: ForgeName[];
  cost: Partial<Record<ForgeName, ForgeCost>>;
}

/**
 * Catches up with what happened while prbox was not listening (ADR 0021): lists the open PRs of
 * every repository prbox serves and feeds each one that differs from its desired state through
 * the same transition as a webhook (src/core/transitions.ts, via intake), asks the forge about
 * live environments whose PR is no longer listed, and takes namespaces without a desired state
 * back from the cluster's records (src/core/adopt.ts). Like the sweep, it only acts on a definite
 * answer: a forge or cluster that fails leaves everything as it is until the next run.
 */
export async function resync(deps: ResyncDeps): Promise<ResyncResult> {
  const result: ResyncResult = {
    fed: [],
    closed: [],
    unknown: [],
    failedForges: [],
    cost: {},
    adopted: [],
    condemned: [],
    unsure: [],
  };
  const desired = await deps.store.listDesired();
  const records = await deps.records().catch((error: unknown) => {
    deps.log.warn(
      { err: error },
      "resync: could not list the cluster's environments; namespaces are checked next time",
    );
    return null;
  });
  const { open, listed } = await listForges(deps, desired, result);
  if (records) Object.assign(result, await adoptOrphans(records, { ...deps, open }));
  for (const pull of open.values()) {
    // Read now, not from the list above: adoption may just have written it.
    const envId = envIdOf(pull.ref);
    const fed = await feedOpen(deps, await deps.store.getDesired(envId), pull);
    if ((await feedChecks(deps, envId, pull)) || fed) result.fed.push(envId);
  }
  for (const d of desired) {
    if (!listed.has(d.ref.forge) || open.has(d.envId) || d.closed || d.action === "destroy") continue;
    const verdict = await closedOnForge(deps, d);
    if (verdict === "closed") result.closed.push(d.envId);
    if (verdict === "unknown") result.unknown.push(d.envId);
  }
  deps.log.info(
    {
      ...result,
      fed: result.fed.length,
      closed: result.closed.length,
      adopted: result.adopted.length,
      condemned: result.condemned.length,
    },
    "resync done",
  );
  return result;
}

/** Every forge's open PRs by environment id; a forge whose listing failed is left out of `listed`. */
async function listForges(
  deps: ResyncDeps,
  desired: readonly DesiredState[],
  result: ResyncResult,
): Promise<{ open: Map<string, OpenPullRequest>; listed: Set<ForgeName> }> {
  const open = new Map<string, OpenPullRequest>();
  const listed = new Set<ForgeName>();
  for (const lister of deps.listers) {
    try {
      const listing = await lister.listOpen(desired.map((d) => d.ref).filter((ref) => ref.forge === lister.forge));
      for (const pull of listing.pulls) open.set(envIdOf(pull.ref), pull);
      result.cost[lister.forge] = {
        repositories: listing.repositories,
        unlisted: listing.unlisted,
        requests: listing.requests,
        notModified: listing.notModified,
        pulls: listing.pulls.length,
      };
      listed.add(lister.forge);
    } catch (error) {
      deps.log.warn(
        { err: error, forge: lister.forge },
        "resync: could not list the open pull requests; nothing is decided from this forge until the next run",
      );
      result.failedForges.push(lister.forge);
    }
  }
  return { open, listed };
}

export function envIdOf(ref: PullRequestRef): string {
  return prEnvironmentId(ref.forge, ref.repo, ref.pr);
}

/**
 * Feeds an open PR through the webhook path when it differs from what prbox wants for it: a PR
 * never seen is "opened", a closed one reopened after it closed is "reopened", a head that moved
 * or labels that changed a "synchronize". Whether that changes anything is the transition's
 * business (forks stay pinned, gates apply); an event that would change nothing is not fed, so a
 * quiet resync writes nothing and reports nothing.
 */
async function feedOpen(deps: ResyncDeps, current: DesiredState | null, pull: OpenPullRequest): Promise<boolean> {
  const action = actionFor(current, pull);
  if (!action) return false;
  const envId = envIdOf(pull.ref);
  const event: PullRequestEvent = {
    kind: "pull_request",
    action,
    ref: pull.ref,
    head: pull.head,
    merged: false,
    at: pull.updatedAt,
  };
  const next = nextDesired(current, event, envId, deps.policy);
  if (next === null || !differs(current, next)) return false;
  const result = await intake(event, `resync:${envId}:${action}:${pull.head.sha}:${pull.updatedAt}`, deps);
  return result === "queued";
}

function actionFor(current: DesiredState | null, pull: OpenPullRequest): PullRequestEvent["action"] | null {
  if (current === null) return "opened";
  // Reopened after it was closed; the PR's updated_at of a close prbox saw is never later than this.
  if (current.closed) return pull.updatedAt > current.eventAt ? "reopened" : null;
  // A draft marked ready (or back) while prbox was down: the event the webhook would have sent.
  if (pull.head.draft !== undefined && pull.head.draft !== (current.draft ?? false))
    return pull.head.draft ? "converted_to_draft" : "ready_for_review";
  const labelsChanged = [...current.labels].sort().join(",") !== [...pull.head.labels].sort().join(",");
  return pull.head.sha !== current.sha || labelsChanged ? "synchronize" : null;
}

/** What a webhook would change that matters: the commit, what to do with it, the labels. */
function differs(current: DesiredState | null, next: DesiredState): boolean {
  if (current === null) return true;
  return (
    current.sha !== next.sha ||
    current.action !== next.action ||
    current.closed !== next.closed ||
    current.waitReason !== next.waitReason ||
    (current.draft ?? false) !== (next.draft ?? false) ||
    current.labels.join(",") !== next.labels.join(",")
  );
}

/**
 * With PRBOX_REQUIRED_CHECKS, a PR waiting for the checks on its head is asked about them, as the
 * webhook edge asks after a PR event: the check event that would have released it may be the
 * webhook that was missed. Failing to ask is logged; the next run asks again.
 */
async function feedChecks(deps: ResyncDeps, envId: string, pull: OpenPullRequest): Promise<boolean> {
  const required = deps.policy.requiredChecks ?? [];
  const lister = deps.listers.find((l) => l.forge === pull.ref.forge);
  if (required.length === 0 || !lister) return false;
  const current = await deps.store.getDesired(envId);
  if (!current || current.action !== "wait" || current.closed || current.checksPassedSha === current.sha) return false;
  try {
    const verdict = await lister.checks(current.ref, current.sha, required);
    if (!verdict.settled) return false;
    const event: ChecksEvent = {
      kind: "checks",
      ref: current.ref,
      sha: current.sha,
      passed: verdict.passed,
      summary: verdict.summary,
      at: pull.updatedAt,
    };
    return (await intake(event, `resync:${envId}:checks:${current.sha}:${String(verdict.passed)}`, deps)) === "queued";
  } catch (error) {
    deps.log.warn({ envId, err: error }, "resync: could not read the required checks; asked again next time");
    return false;
  }
}

/** A live environment whose PR was not listed: asked about, torn down only on a definite "closed". */
async function closedOnForge(deps: ResyncDeps, desired: DesiredState): Promise<"open" | "closed" | "unknown"> {
  try {
    const forge = await deps.forges.forgeFor(desired.ref);
    const pr = await forge.pullRequest(desired.ref);
    if (pr.state === "open") return "open";
  } catch (error) {
    deps.log.warn(
      { envId: desired.envId, err: error },
      "resync: the forge could not say whether the pull request is open; keeping the environment",
    );
    return "unknown";
  }
  // Dated like the last event applied, not by prbox's clock: the forge's clock orders events, and a
  // reopen after this close (a later updated_at) must still win.
  const at = desired.eventAt;
  const event: PullRequestEvent = {
    kind: "pull_request",
    action: "closed",
    ref: desired.ref,
    head: { branch: desired.branch, sha: desired.sha, fork: desired.fork, labels: desired.labels },
    merged: false,
    at,
  };
  const result = await intake(event, `resync:${desired.envId}:closed:${desired.generation}`, deps);
  return result === "queued" ? "closed" : "open";
}
