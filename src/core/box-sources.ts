import { mkdir, mkdtemp } from "node:fs/promises";
import path from "node:path";
import type { Baseline } from "../config/baseline.js";
import type { Policy } from "../config/config.js";
import { PrboxError } from "../errors.js";
import type { RenderedEnvironment } from "../model.js";
import type { DesiredState } from "./desired.js";
import { renderSpec } from "./render-spec.js";
import type { FetchSources } from "../spec/sources.js";
import type { Forge, PullRequestRef } from "./forge.js";
import { pathMatcher } from "./globs.js";

/**
 * PRBOX_BOX_REPOSITORIES: which repositories' previews may take boxes from which. An entry is
 * `FROM:TO` (the PR's repository and the box's, each a pattern where `*` stands for one path
 * segment and `**` for any number, as in PRBOX_PATHS) or just `TO` (any repository's previews).
 * Repository names compare without regard to case, as both forges do.
 */
export function boxRepositoryAllowed(rules: readonly string[], from: string, to: string): boolean {
  return rules.some((rule) => {
    const at = rule.indexOf(":");
    const [source, target] = at < 0 ? ["**", rule] : [rule.slice(0, at), rule.slice(at + 1)];
    return (
      pathMatcher([source.toLowerCase()])(from.toLowerCase()) && pathMatcher([target.toLowerCase()])(to.toLowerCase())
    );
  });
}

/** The head of the PR of a repository that deploys with this one (src/core/groups.ts), if any. */
export type GroupHead = (repository: string) => { sha: string } | null;

/**
 * The bot's sources for boxes that name another repository: refused unless the operator allows
 * the PR's repository to take boxes from it, else fetched through the forge with prbox's own
 * credentials into a directory of `scratch` (beside, not inside, the PR's own sources), at the
 * head of the repository's PR in this PR's group when there is one (`head`).
 */
export function forgeSources(
  forge: Forge,
  ref: PullRequestRef,
  rules: readonly string[],
  scratch: string,
  options: { signal?: AbortSignal; head?: GroupHead } = {},
): FetchSources {
  return async ({ repository, ref: wanted }) => {
    if (!boxRepositoryAllowed(rules, ref.repo, repository))
      throw new PrboxError(`${ref.repo}'s previews may not take boxes from ${repository}`, {
        hint: `an operator can allow it with PRBOX_BOX_REPOSITORIES=${ref.repo}:${repository}`,
      });
    const dest = await mkdtemp(path.join(scratch, "box-sources-"));
    // A PR of the same branch in that repository, in this PR's group: its head instead of the box's ref.
    const at = options.head?.(repository)?.sha ?? wanted;
    const commit = await forge.fetchRepository(ref, repository, at, dest, options.signal);
    return { root: dest, commit };
  };
}

/**
 * The PR's environment rendered as the bot renders it: PR mode, the operator's variables and
 * policy; boxes from other repositories fetched into `dirs.scratch`.
 */
export function renderPullRequest(
  desired: Pick<DesiredState, "ref" | "branch" | "sha">,
  dirs: { root: string; scratch: string },
  deps: { forge: Forge; policy: Policy; baseline?: Baseline; helm?: string; head?: GroupHead },
  signal: AbortSignal,
): Promise<RenderedEnvironment> {
  const { ref, branch, sha } = desired;
  return renderSpec({
    file: deps.policy.specPath,
    root: dirs.root,
    fetchSources: forgeSources(deps.forge, ref, deps.policy.boxRepositories, dirs.scratch, {
      signal,
      head: deps.head,
    }),
    pr: { forge: ref.forge, repo: ref.repo, pr: ref.pr, branch, sha },
    set: deps.policy.variables,
    policy: { ...deps.policy, baseline: deps.baseline },
    helm: deps.helm,
    signal,
  });
}

/** The PR's own sources at its commit, in `scratch`/pr (other repositories' go beside them); returns that directory. */
export async function fetchPullRequest(
  forge: Forge,
  desired: Pick<DesiredState, "ref" | "sha">,
  scratch: string,
  signal: AbortSignal,
): Promise<string> {
  const root = path.join(scratch, "pr");
  await mkdir(root);
  await forge.fetchSources(desired.ref, desired.sha, root, signal);
  return root;
}

/** A closed PR's repository at its default branch, in `scratch`/pr, and the commit it is at. */
export async function fetchDefaultBranch(
  forge: Forge,
  ref: PullRequestRef,
  scratch: string,
  signal: AbortSignal,
): Promise<{ root: string; sha: string }> {
  const root = path.join(scratch, "pr");
  await mkdir(root);
  return { root, sha: await forge.fetchRepository(ref, ref.repo, null, root, signal) };
}
