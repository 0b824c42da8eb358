import { isLive, type DesiredState, type ObservedState } from "./desired.js";
import type { PullRequestRef } from "./forge.js";
import { short } from "./markdown.js";

/**
 * Pull requests across repositories that deploy together (issue 18, ADR 29). PRs with the same
 * head branch on one forge form a group when one of them (the host) names the others'
 * repositories as boxes: the host's environment takes each named repository's box from that
 * PR's head instead of its default branch, and reports on every PR of the group. The others
 * (members) deploy nothing of their own while they are in it.
 */

/** A PR whose head a host's environment took for the box of its repository. */
export interface GroupMember {
  envId: string;
  ref: PullRequestRef;
  branch: string;
  sha: string;
  /**
   * The PR had joined when the host deployed (its observed state said so). A host that deployed
   * before a member joined deploys again once it has: the last report on the member's PR is then
   * the host's, never the member's own preview it deleted on joining.
   */
  joined?: boolean;
}

/** The PR whose environment a group shares, and the commit its own boxes are at. */
export interface GroupHost {
  ref: PullRequestRef;
  sha: string;
  /** The PR is closed: its boxes are at its repository's default branch. */
  closed?: boolean;
}

/** A PR of the branch, as the state store knows it. */
export interface Candidate {
  desired: DesiredState;
  observed: ObservedState | null;
}

export interface Grouping {
  /** The environment whose preview this PR is part of, or null: it deploys its own. */
  host: string | null;
  /** The PRs whose heads this PR's environment takes (empty unless it hosts). */
  members: GroupMember[];
}

export const NO_GROUP: Grouping = { host: null, members: [] };

/** The PRs of `desired`'s forge and head branch, itself included, open or not (a closed host may linger). */
export function sameBranch(desired: DesiredState, all: readonly DesiredState[]): DesiredState[] {
  return all.filter((other) => other.ref.forge === desired.ref.forge && other.branch === desired.branch);
}

/**
 * Who hosts whom among the PRs of one branch, decided the same way by each of them: in the order
 * of their environment ids, a PR that can host (canHost) and is not yet a member takes as members
 * the open PRs that passed their gates, in the repositories it names, that are neither
 * members nor hosts yet (one per repository). Two PRs naming each other: the first hosts. A chain
 * (a names b, b names c) groups a with b; c deploys alone. `names` overrides a PR's repositories
 * (the host being rendered, which learns them as it goes).
 */
export function hostsOf(candidates: readonly Candidate[], names?: { envId: string; repositories: string[] }) {
  const eligible = candidates
    .filter(canHost)
    .sort((a, b) => (a.desired.envId < b.desired.envId ? -1 : a.desired.envId > b.desired.envId ? 1 : 0));
  const named = (c: Candidate) =>
    new Set(
      (c.desired.envId === names?.envId ? names.repositories : (c.observed?.sources ?? [])).map((r) => r.toLowerCase()),
    );
  const hostOf = new Map<string, string>();
  const hosts = new Set<string>();
  for (const host of eligible) {
    if (hostOf.has(host.desired.envId)) continue;
    const repositories = named(host);
    const taken = new Set<string>([host.desired.ref.repo.toLowerCase()]);
    for (const member of eligible) {
      const id = member.desired.envId;
      if (member.desired.action !== "deploy" || member.desired.closed) continue;
      const repo = member.desired.ref.repo.toLowerCase();
      if (hostOf.has(id) || hosts.has(id) || taken.has(repo) || !repositories.has(repo)) continue;
      hostOf.set(id, host.desired.envId);
      hosts.add(host.desired.envId);
      taken.add(repo);
    }
  }
  return hostOf;
}

/**
 * A PR that passed its gates hosts; so does one whose preview runs while it waits (a push waiting
 * for checks), and one closed or merged while PRs of its group are open: the preview goes on for
 * them with its repository at the default branch, until the last of them closes.
 */
function canHost({ desired, observed }: Candidate): boolean {
  if (desired.action === "deploy") return !desired.closed;
  return isLive(observed) && (desired.action === "wait" || desired.closed);
}

/** What `envId` is in its branch's grouping: a member of a host, a host of members, or alone. */
export function groupingOf(
  envId: string,
  candidates: readonly Candidate[],
  names?: { envId: string; repositories: string[] },
): Grouping {
  const hostOf = hostsOf(candidates, names);
  const host = hostOf.get(envId);
  if (host !== undefined) return { host, members: [] };
  const members = candidates
    .filter((c) => hostOf.get(c.desired.envId) === envId)
    .map(({ desired, observed }) => ({
      envId: desired.envId,
      ref: desired.ref,
      branch: desired.branch,
      sha: desired.sha,
      joined: observed?.status === "grouped" && observed.host === envId,
    }));
  return { host: null, members };
}

/** Whether a deploy took the same heads as wanted now (order aside). */
export function sameMembers(deployed: readonly GroupMember[], wanted: readonly GroupMember[]): boolean {
  const key = (m: GroupMember) => `${m.envId}@${m.sha}${m.joined ? " joined" : ""}`;
  const had = new Set(deployed.map(key));
  return deployed.length === wanted.length && wanted.every((m) => had.has(key(m)));
}

/**
 * The lines that tell each PR of a group about the others, under the report on `to`: the host's
 * PR first, each with the head the environment took.
 */
export function groupSection(
  host: GroupHost,
  members: readonly GroupMember[],
  to: PullRequestRef,
  link: (ref: PullRequestRef) => string,
): string {
  if (members.length === 0) return "";
  const rows = [host, ...members].map(({ ref, sha }) => {
    const self = ref.repo === to.repo && ref.pr === to.pr ? " (this one)" : "";
    const closed = ref === host.ref && host.closed ? " (closed: its default branch)" : "";
    return `- ${link(ref)}${self}${closed} at ${short(sha)}`;
  });
  return [
    "",
    "",
    `One preview for the pull requests of this branch in ${members.length + 1} repositories:`,
    ...rows,
  ].join("\n");
}

/**
 * When the PRs of a group were last active, for the idle TTL: a member never expires by itself
 * (null: its preview is its host's), a host is active while any PR of its group is.
 */
export function groupActivity(
  desired: DesiredState,
  observed: ObservedState | null,
  byId: ReadonlyMap<string, DesiredState>,
): string | null {
  if (observed?.status === "grouped") return null;
  const times = [desired.eventAt, ...(observed?.members ?? []).map((m) => byId.get(m.envId)?.eventAt ?? "")];
  return times.reduce((a, b) => (b > a ? b : a));
}
