import type { Policy } from "../config/config.js";
import type { ChangedFiles, HeadCommit, PullRequestAuthor, PullRequestEvent } from "./events.js";
import type { DesiredState } from "./desired.js";
import { loginMatcher, pathMatcher } from "./globs.js";

/**
 * Which PRs want a preview at all (PRBOX_SKIP_DRAFTS, PRBOX_SKIP_BOTS, PRBOX_BOT_AUTHORS,
 * PRBOX_SKIP_LABEL, PRBOX_PATHS): absent settings hold nothing back.
 */
export type WantedPolicy = Partial<Pick<Policy, "skipDrafts" | "skipBots" | "botAuthors" | "skipLabel" | "paths">>;

/** Why a PR gets no preview although nothing else would hold it back. */
export interface Unwanted {
  /** In words for the PR's comment: why, and how to get a preview. */
  reason: string;
  /**
   * The no-preview label also deletes a preview that runs: a person asked for none. The other
   * rules only keep new commits from deploying; whatever runs stays until the PR closes.
   */
  tearDown: boolean;
}

/** The first rule that keeps this PR without a preview, or null when one is wanted. */
export function unwanted(state: DesiredState, policy: WantedPolicy): Unwanted | null {
  if (state.optedIn) return null;
  const label = policy.skipLabel;
  if (label && state.labels.includes(label))
    return {
      reason: `the label \`${label}\` asks for no preview: remove it, or comment \`/deploy\`, to get one`,
      tearDown: true,
    };
  if (policy.skipDrafts && state.draft)
    return {
      reason: "this pull request is a draft: mark it as ready, or comment `/deploy`, to get a preview",
      tearDown: false,
    };
  if (policy.skipBots && state.author && isBot(state.author, policy.botAuthors ?? []))
    return {
      reason: `this pull request was opened by the bot \`${state.author.login}\`: a maintainer can deploy it with \`/deploy\``,
      tearDown: false,
    };
  const paths = policy.paths ?? [];
  if (paths.length > 0 && state.paths?.sha === state.sha && !state.paths.matched)
    return {
      reason: `this pull request changes no file that needs a preview (${paths.map((p) => `\`${p}\``).join(", ")}): a maintainer can deploy it with \`/deploy\``,
      tearDown: false,
    };
  return null;
}

/** The facts the rules read: from the event where it says them, else as prbox knew them. */
export function wantedFacts(
  current: DesiredState | null,
  head: HeadCommit,
): Pick<DesiredState, "draft" | "author" | "paths" | "optedIn"> {
  return {
    draft: head.draft ?? current?.draft ?? false,
    author: head.author ?? current?.author ?? null,
    paths: current?.paths ?? null,
    optedIn: current?.optedIn ?? false,
  };
}

/**
 * What a PR event adds: the path verdict for the files it carries, and the no-preview label
 * added again undoing a maintainer's earlier `/deploy`.
 */
export function withPullRequestFacts(
  next: DesiredState,
  current: DesiredState | null,
  event: PullRequestEvent,
  policy: WantedPolicy,
): DesiredState {
  const paths = policy.paths ?? [];
  const verdict = event.changedFiles && paths.length > 0 ? pathVerdict(event.changedFiles, paths) : next.paths;
  const label = policy.skipLabel;
  const labelAdded = Boolean(label && event.head.labels.includes(label) && !current?.labels.includes(label));
  return { ...next, paths: verdict, optedIn: next.optedIn === true && !labelAdded };
}

function pathVerdict(changed: ChangedFiles, patterns: readonly string[]): { sha: string; matched: boolean } {
  return { sha: changed.sha, matched: pathsMatch(changed, patterns) };
}

/** An account the forge marks as a bot, or whose login matches PRBOX_BOT_AUTHORS. */
export function isBot(author: PullRequestAuthor, botAuthors: readonly string[]): boolean {
  return author.bot || loginMatcher(botAuthors)(author.login);
}

/**
 * Whether the changed files match the path filters. A list the forge cut that matched nothing
 * counts as a match: an unlisted file may need the preview, and deploying is the safe mistake.
 */
export function pathsMatch(changed: ChangedFiles, patterns: readonly string[]): boolean {
  const matches = pathMatcher(patterns);
  return changed.paths.some(matches) || !changed.complete;
}
