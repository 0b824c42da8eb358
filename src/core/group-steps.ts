import { deleteEnvironment, type Cluster } from "../cluster/index.js";
import type { Policy } from "../config/config.js";
import type { Logger } from "../log.js";
import type { DesiredState, ObservedState } from "./desired.js";
import type { CommitStatus, Forge, ForgeRegistry, PullRequestRef } from "./forge.js";
import { groupingOf, groupSection, sameBranch, type Candidate, type GroupHost, type GroupMember } from "./groups.js";
import type { StateStore } from "./ports.js";
import { commentBody } from "./report.js";
import { upsertStickyComment } from "./sticky-comment.js";

/** What the group's steps of a reconcile use (a part of ReconcileDeps). */
export interface GroupDeps {
  store: StateStore;
  forges: ForgeRegistry;
  policy: Pick<Policy, "boxRepositories" | "deployTimeoutMs">;
  queue?: { enqueueReconcile(envId: string): Promise<void> };
  cluster(): Promise<Cluster>;
  log: Logger;
}

/**
 * The open PRs of `desired`'s branch (itself included) with what was last done for each. None
 * when the operator lets no preview take boxes from another repository: no group can form.
 */
export async function branchCandidates(
  deps: Pick<GroupDeps, "store" | "policy">,
  desired: DesiredState,
): Promise<Candidate[]> {
  if (deps.policy.boxRepositories.length === 0) return [];
  const same = sameBranch(desired, await deps.store.listDesired());
  return Promise.all(same.map(async (d) => ({ desired: d, observed: await deps.store.getObserved(d.envId) })));
}

/**
 * For the render of a host: the PR head to take for each repository a box names, decided as the
 * render asks (the repositories it names are only known then), and the members it took.
 */
export function groupHeads(envId: string, candidates: readonly Candidate[]) {
  const requested: string[] = [];
  const used = new Map<string, GroupMember>();
  return {
    head(repository: string): GroupMember | null {
      requested.push(repository);
      const { members } = groupingOf(envId, candidates, { envId, repositories: requested });
      const member = members.find((m) => m.ref.repo.toLowerCase() === repository.toLowerCase());
      if (member) used.set(member.envId, member);
      return member ?? null;
    },
    used: (): GroupMember[] => [...used.values()],
  };
}

/** How `forge` links a PR of any of its repositories in a comment: `acme/api#7`, `group/api!7`. */
export function linkOn(forge: Forge): (pr: PullRequestRef) => string {
  return (pr) => `${pr.repo}${forge.pullRequestLabel(pr)}`;
}

/** The forge of `ref`, and how it links PRs. */
async function linker(deps: Pick<GroupDeps, "forges">, ref: PullRequestRef) {
  const forge = await deps.forges.forgeFor(ref);
  return { forge, link: linkOn(forge) };
}

/** The host's report, on each member's PR too: the same comment with the group listed, the same status on its head. */
export async function reportToMembers(
  deps: Pick<GroupDeps, "forges">,
  host: GroupHost,
  members: readonly GroupMember[],
  report: { comment: string; status: CommitStatus | null },
  log: Logger,
): Promise<void> {
  for (const member of members) {
    const { forge, link } = await linker(deps, member.ref);
    const body = report.comment + groupSection(host, members, member.ref, link);
    await upsertStickyComment(forge, member.ref, body, log.child({ member: member.envId }));
    if (report.status) await forge.setCommitStatus(member.ref, member.sha, report.status);
  }
}

/**
 * A PR joins the environment of `host`: its own preview, if it had one, is deleted (the host's
 * comment replaces its report), it holds no slot of the cap, and the host redeploys with its head.
 */
export async function joinGroup(
  desired: DesiredState,
  observed: ObservedState | null,
  host: string,
  deps: GroupDeps,
  at: string,
): Promise<void> {
  if (observed !== null && observed.status !== "grouped" && observed.status !== "destroyed") {
    const cluster = await deps.cluster();
    await deleteEnvironment(cluster, desired.envId, { timeoutMs: deps.policy.deployTimeoutMs, log: deps.log });
  }
  await deps.store.setObserved({
    envId: desired.envId,
    generation: desired.generation,
    at,
    sha: null,
    status: "grouped",
    error: null,
    reloadRequest: desired.reloadRequest,
    host,
    sources: observed?.sources ?? [],
  });
  await deps.store.releaseSlot(desired.envId);
  // A member's change is activity of the group: a sleeping host wakes (ADR 28) and takes it.
  await deps.store.updateDesired(host, (current) =>
    current?.sleepSince ? { ...current, sleepSince: null, wokeAt: at } : current,
  );
  await deps.queue?.enqueueReconcile(host);
  deps.log.info({ host }, "joined the preview of another pull request");
}

/** A member's PR was closed (or /destroy): it says it left, and the host redeploys without it. */
export async function leaveGroup(desired: DesiredState, observed: ObservedState, deps: GroupDeps): Promise<void> {
  const host = observed.host ? await deps.store.getDesired(observed.host) : null;
  const { forge, link } = await linker(deps, desired.ref);
  const reason = desired.closed ? "the pull request was closed" : (desired.waitReason ?? "`/destroy`");
  const comment = commentBody({
    state: "left",
    host: host ? link(host.ref) : "another pull request",
    reason,
    last: host?.closed === true,
  });
  await upsertStickyComment(forge, desired.ref, comment, deps.log);
  if (observed.host) await deps.queue?.enqueueReconcile(observed.host);
}

/**
 * The host's preview was deleted while PRs of its group are open (a /destroy, a rule, the idle
 * TTL): each hears why. After a /destroy or a rule each deploys on its own again (if its
 * repository says how); after the idle TTL none does: a push to the host, or `/deploy` on it,
 * brings the shared preview back.
 */
export async function dissolveGroup(
  desired: DesiredState,
  members: readonly GroupMember[],
  candidates: readonly Candidate[],
  deps: GroupDeps,
) {
  const open = (m: GroupMember) =>
    candidates.some((c) => c.desired.envId === m.envId && !c.desired.closed && c.desired.action !== "destroy");
  for (const member of members.filter(open)) {
    const { forge, link } = await linker(deps, member.ref);
    const host = link(desired.ref);
    const why = desired.closed
      ? "was closed"
      : `had its preview deleted: ${desired.waitReason ?? "`/destroy`"}${desired.expired ? `; push a commit to ${host} or comment \`/deploy\` there to bring it back` : ""}`;
    const reason = `${host}, whose preview this pull request was part of, ${why}`;
    await upsertStickyComment(forge, member.ref, commentBody({ state: "destroyed", reason }), deps.log);
    if (!desired.expired) await deps.queue?.enqueueReconcile(member.envId);
  }
}

/** After a host's deploy: the PRs it took (and those it no longer takes) settle their own state. */
export async function settleMembers(
  deps: Pick<GroupDeps, "queue">,
  members: readonly GroupMember[],
  before: readonly GroupMember[],
): Promise<void> {
  const ids = new Set([...members, ...before].map((m) => m.envId));
  for (const id of ids) await deps.queue?.enqueueReconcile(id);
}
