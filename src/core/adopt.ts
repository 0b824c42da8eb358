import type { EnvironmentRecord } from "../cluster/index.js";
import type { PullRequestEvent } from "./events.js";
import { isForgeName, type ForgeRegistry, type PullRequestRef } from "./forge.js";
import type { Logger } from "../log.js";
import type { DesiredState, ObservedState } from "./desired.js";
import type { AdoptStore } from "./ports.js";
import type { IntakeDeps } from "./intake.js";
import type { OpenPullRequest, PullRequestLister } from "./listing.js";
import { nextDesired } from "./transitions.js";

export interface AdoptDeps extends Pick<IntakeDeps, "queue" | "policy"> {
  store: AdoptStore;
  forges: ForgeRegistry;
  listers: readonly PullRequestLister[];
  /** The open PRs the forges just listed, by environment id. */
  open: ReadonlyMap<string, OpenPullRequest>;
  log: Logger;
  now?: () => Date;
}

export interface AdoptResult {
  /** Namespaces without a desired state whose PR is open: taken back into Redis. */
  adopted: string[];
  /** Namespaces without a desired state whose PR is closed: to be deleted (and said so on the PR). */
  condemned: string[];
  /** Namespaces the forge could not answer for, or whose record names no PR: left alone. */
  unsure: string[];
}

/**
 * The cluster's side of the resync (ADR 0021): a namespace prbox labelled whose environment has no
 * desired state (Redis lost its data, or an older install made it) is looked up on its forge from
 * the record on the namespace. Open: adopted, its desired state rebuilt from the record and the
 * PR, its observed state from the record, so a preview that still runs its PR's head is not
 * deployed again. Closed: a desired state "destroy" is written and reconciled like a close
 * (the teardown reports on the PR). Anything else (an API error, a record without a PR) leaves
 * the namespace alone: never delete on an error.
 */
export async function adoptOrphans(records: readonly EnvironmentRecord[], deps: AdoptDeps): Promise<AdoptResult> {
  const result: AdoptResult = { adopted: [], condemned: [], unsure: [] };
  for (const record of records) {
    // An environment of the CLI (`prbox deploy`) belongs to no PR: not the resync's business.
    if (record.forge === null && record.pr === null) continue;
    if (await deps.store.getDesired(record.id)) continue;
    const verdict = await lookUp(record, deps);
    if (verdict === null) {
      result.unsure.push(record.id);
      continue;
    }
    const done = await takeBack(record, verdict, deps);
    if (done) result[verdict.state === "open" ? "adopted" : "condemned"].push(record.id);
  }
  return result;
}

const EARLIEST = new Date(0).toISOString();

type Verdict = { state: "open"; pull: OpenPullRequest } | { state: "closed"; ref: PullRequestRef };

async function lookUp(record: EnvironmentRecord, deps: AdoptDeps): Promise<Verdict | null> {
  const log = deps.log.child({ envId: record.id, namespace: record.namespace });
  const listed = deps.open.get(record.id);
  if (listed) return { state: "open", pull: listed };
  const forgeName = record.forge;
  const lister = deps.listers.find((l) => l.forge === forgeName);
  if (forgeName === null || !isForgeName(forgeName) || record.repo === null || record.pr === null || !lister) {
    log.warn(
      { forge: forgeName, repo: record.repo, pr: record.pr },
      "resync: a prbox namespace without a desired state names no pull request prbox can look up; leaving it",
    );
    return null;
  }
  try {
    const ref = await lister.refFor(record.repo, record.pr);
    if (!ref) {
      log.warn(
        { repo: record.repo },
        "resync: prbox cannot reach the repository of a namespace without a desired state; leaving it",
      );
      return null;
    }
    const pr = await (await deps.forges.forgeFor(ref)).pullRequest(ref);
    if (pr.state === "closed") return { state: "closed", ref };
    // No updated_at from this call: dated as early as can be, so the next webhook of the PR applies.
    return {
      state: "open",
      pull: { ref, head: { branch: pr.headBranch, sha: pr.headSha, fork: pr.fork, labels: [] }, updatedAt: EARLIEST },
    };
  } catch (error) {
    log.warn(
      { err: error },
      "resync: the forge could not say whether the pull request of a namespace without a desired state is open; leaving it",
    );
    return null;
  }
}

/**
 * Writes the desired state (only if there still is none: a webhook may have come meanwhile) and
 * the observed one the record tells, then queues a reconcile.
 */
async function takeBack(record: EnvironmentRecord, verdict: Verdict, deps: AdoptDeps): Promise<boolean> {
  const seed = seedFrom(
    record,
    verdict.state === "open" ? verdict.pull.ref : verdict.ref,
    verdict.state === "open" ? verdict.pull : null,
  );
  const desired =
    verdict.state === "open"
      ? rebuilt(seed, verdict.pull, deps)
      : { ...seed, action: "destroy" as const, closed: true };
  let written = false;
  const stored = await deps.store.updateDesired(record.id, (current) => {
    written = current === null;
    return current ?? desired;
  });
  if (!written || !stored) return false;
  const observed = observedFrom(record, stored, deps);
  if (observed) await deps.store.setObserved(observed);
  await deps.queue.enqueueReconcile(record.id);
  deps.log.info(
    { envId: record.id, namespace: record.namespace, sha: record.sha, action: stored.action },
    verdict.state === "open"
      ? "resync: adopted a namespace back"
      : "resync: the pull request of a namespace without a desired state is closed; deleting it",
  );
  return true;
}

/**
 * The desired state the record implies: its commit was deployed, so a maintainer's approval (a
 * fork) and the checks gate held for it then; they are not asked again for that very commit.
 */
function seedFrom(record: EnvironmentRecord, ref: PullRequestRef, pull: OpenPullRequest | null): DesiredState {
  const sha = record.sha ?? pull?.head.sha ?? "";
  return {
    envId: record.id,
    ref,
    branch: record.branch ?? pull?.head.branch ?? "",
    sha,
    action: "deploy",
    waitReason: null,
    fork: pull?.head.fork ?? false,
    closed: false,
    labels: pull?.head.labels ?? [],
    forkApprovedSha: record.sha,
    checksPassedSha: record.sha,
    handledCommands: [],
    reloadRequest: 0,
    // The forge's clock orders events, not prbox's (deployedAt): the seed yields to any event.
    eventAt: EARLIEST,
    generation: 0,
  };
}

/** The open PR as it is now, through the same transition as a webhook (gates, fork pinning). */
function rebuilt(seed: DesiredState, pull: OpenPullRequest, deps: AdoptDeps): DesiredState {
  const event: PullRequestEvent = {
    kind: "pull_request",
    action: "synchronize",
    ref: pull.ref,
    head: pull.head,
    merged: false,
    at: pull.updatedAt,
  };
  return nextDesired(seed, event, seed.envId, deps.policy) ?? seed;
}

/** What the record says the cluster runs; null when a deploy was cut short (it is simply done again). */
function observedFrom(record: EnvironmentRecord, desired: DesiredState, deps: AdoptDeps): ObservedState | null {
  if (record.sha === null || (record.status !== "ready" && record.status !== "failed")) return null;
  const at = record.deployedAt ?? (deps.now ?? (() => new Date()))().toISOString();
  const error = record.status === "failed" ? (record.lastError ?? "the last deploy failed") : null;
  return {
    envId: record.id,
    sha: record.sha,
    reloadRequest: 0,
    generation: desired.generation,
    // A sleeping one (ADR 28) is woken by the next reconcile: the rebuilt desired state does not sleep.
    status: record.sleeping ? "sleeping" : record.status,
    error,
    at,
  };
}
