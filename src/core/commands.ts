import type { CommandEvent } from "./events.js";
import type { CommentAuthor, Forge, PullRequestInfo, PullRequestRef } from "./forge.js";
import type { Logger } from "../log.js";
import { prEnvironmentId } from "../spec/naming.js";
import { parseCommand, type ParsedCommand } from "./command-text.js";
import { keptText } from "./expiry.js";
import type { IntakeDeps, IntakeResult } from "./intake.js";
import { replyOn, STICKY_MARKER } from "./sticky-comment.js";

/** A new comment on a PR as the edge normalised it, before anyone checked what it asks. */
export interface CommandComment {
  ref: PullRequestRef;
  commentId: string;
  author: CommentAuthor;
  body: string;
  /** When the comment was written, by the forge's clock. */
  at: string;
  /** The PR's labels when the edge knows them (GitLab's note hook carries them), else []. */
  labels: string[];
}

export type CommandResult = IntakeResult | "ignored" | "refused";

export interface CommandOutcome {
  result: CommandResult;
  /** One short line for logs and GitLab's "Recent events". */
  text: string;
}

/** Stores an event and enqueues it: src/core/intake.ts's `intake`, or an edge's wrapper of it. */
export type RecordCommand = (event: CommandEvent, deliveryId: string, deps: IntakeDeps) => Promise<IntakeResult>;

/** How long a person who may not run commands is not answered again on the same PR. */
export const REFUSAL_QUIET_SECONDS = 24 * 3600;

/**
 * A command in a comment, the same on every forge: only comments by people (never prbox's own,
 * never a bot's); only writers (asked through the forge's API); not on a closed PR; `/deploy`
 * pinned to the commit the maintainer saw. Then stored and queued (`record`) and acknowledged
 * with 👍. Others get 👎 and a polite reply, and nothing runs; someone who may not run commands
 * is answered (👎 and reply) once per PR in REFUSAL_QUIET_SECONDS, however many comments they
 * write, and their later commands are only logged. Failing to acknowledge or reply does not undo
 * a stored command.
 */
export async function handleCommand(
  comment: CommandComment,
  forge: Forge,
  deliveryId: string,
  deps: IntakeDeps,
  record: RecordCommand,
): Promise<CommandOutcome> {
  const command = parseCommand(comment.body);
  if (!command) return { result: "ignored", text: "ignored: no command in the comment" };
  if (comment.author.bot) return { result: "ignored", text: "ignored: a comment by a bot" };
  if (comment.body.includes(STICKY_MARKER) || (await forge.isOwnComment(comment.author)))
    return { result: "ignored", text: "ignored: prbox's own comment" };
  const user = comment.author.login;
  const envId = prEnvironmentId(comment.ref.forge, comment.ref.repo, comment.ref.pr);
  const log = deps.log.child({ envId, user, command: command.name });
  if (!(await forge.canWrite(comment.ref, user))) {
    // Every answer is a write from the installation's shared budget (one a second): only the first is given.
    const answer = await firstRefusal(`refused:${envId}:${comment.author.id}`, deps, log);
    if (answer)
      await refuse(
        forge,
        comment,
        `@${user} thanks! Only ${forge.writers} can run \`/${command.name}\`; a maintainer can run it for you.`,
        log,
      );
    log.info({ answered: answer }, "command refused: the user may not run commands");
    return { result: "refused", text: `refused: ${user} may not run /${command.name}` };
  }
  const pr = await forge.pullRequest(comment.ref);
  if (pr.state === "closed") {
    await refuse(
      forge,
      comment,
      `@${user} ${forge.pullRequestLabel(comment.ref)} is closed, so \`/${command.name}\` does nothing; reopen it to get a preview again.`,
      log,
    );
    return { result: "refused", text: "refused: the pull request is closed" };
  }
  const sha = await targetOf(command, pr, comment, forge);
  if ("refusal" in sha) {
    await refuse(forge, comment, `@${user} ${sha.refusal}`, log);
    log.info({ head: pr.headSha }, `/${command.name} not run: ${sha.refusal}`);
    return { result: "refused", text: `refused: /${command.name} as written` };
  }
  const event: CommandEvent = {
    kind: "command",
    command: command.name,
    ref: comment.ref,
    user,
    commentId: comment.commentId,
    head: { branch: pr.headBranch, sha: sha.sha, fork: pr.fork, labels: comment.labels },
    at: comment.at,
    ...(command.extendMs === undefined ? {} : { extendMs: command.extendMs }),
  };
  const result = await record(event, deliveryId, deps);
  if (result !== "duplicate") await acknowledge(forge, comment, command, deps, log);
  return { result, text: `/${command.name}: ${result}` };
}

/** 👍 on a command that was stored; `/keep` and `/extend` also get a reply saying when the preview is deleted now. */
async function acknowledge(
  forge: Forge,
  comment: CommandComment,
  command: ParsedCommand,
  deps: IntakeDeps,
  log: Logger,
): Promise<void> {
  await bestEffort(log, "react 👍 to", () => forge.acknowledge(comment.ref, comment.commentId, "+1"));
  if (command.name !== "keep" && command.name !== "extend") return;
  await bestEffort(log, "reply to", async () => {
    const envId = prEnvironmentId(comment.ref.forge, comment.ref.repo, comment.ref.pr);
    const kept = keptText(await deps.store.getDesired(envId), deps.policy.idleTtlMs ?? 0, Date.parse(comment.at));
    await replyOn(forge, comment.ref, `@${comment.author.login} ${kept}`);
  });
}

/** The commit a command acts on (the head, or what `/deploy` may deploy), or why it cannot run as written. */
async function targetOf(
  command: ParsedCommand,
  pr: PullRequestInfo,
  comment: CommandComment,
  forge: Forge,
): Promise<{ sha: string } | { refusal: string }> {
  if (command.invalid) return { refusal: command.invalid };
  return command.name === "deploy" ? deployTarget(command, pr, comment, forge) : { sha: pr.headSha };
}

/**
 * The commit `/deploy` may deploy: the one it names (the head or any commit of the PR, by full or
 * abbreviated SHA), or without one the head, but only when the head was already there when the
 * comment was written; a fork's author who pushes between a maintainer's look and the comment
 * must not get the new commit deployed. Otherwise the reply asks for the SHA.
 */
async function deployTarget(
  command: ParsedCommand,
  pr: PullRequestInfo,
  comment: CommandComment,
  forge: Forge,
): Promise<{ sha: string } | { refusal: string }> {
  const label = forge.pullRequestLabel(comment.ref);
  const head = pr.headSha.slice(0, 7);
  if (command.sha !== undefined) {
    if (pr.headSha.startsWith(command.sha)) return { sha: pr.headSha };
    const matches = (await forge.pullRequestCommits(comment.ref)).filter((sha) => sha.startsWith(command.sha ?? ""));
    if (matches.length === 1 && matches[0]) return { sha: matches[0] };
    const why = matches.length > 1 ? "names more than one commit of" : "is not a commit of";
    return {
      refusal: `\`${command.sha}\` ${why} ${label}; its head is \`${head}\`. Comment \`/deploy <sha>\` with the commit to deploy.`,
    };
  }
  const since = await forge.headSince(comment.ref, pr.headSha);
  if (since !== null && before(since, comment.at)) return { sha: pr.headSha };
  return {
    refusal: `the head of ${label} is \`${head}\`, pushed after your comment${since === null ? " or at a time the forge does not say" : ""}, so \`/deploy\` does not deploy it unseen. Comment \`/deploy ${head}\` once you have looked at it.`,
  };
}

/** Whether the forge's time `a` is strictly before `b`; an unreadable time is never before. */
function before(a: string, b: string): boolean {
  const [x, y] = [Date.parse(a), Date.parse(b)];
  return Number.isFinite(x) && Number.isFinite(y) && x < y;
}

/** True the first time this person is refused on this PR within REFUSAL_QUIET_SECONDS (remembered in Redis). */
async function firstRefusal(key: string, deps: IntakeDeps, log: Logger): Promise<boolean> {
  try {
    // The delivery store's SET NX EX, with a key of its own per environment and person.
    return await deps.store.rememberDelivery(key, REFUSAL_QUIET_SECONDS);
  } catch (error) {
    log.warn(
      { err: error },
      "could not remember the refusal; not answering, so a reader cannot make prbox answer without limit",
    );
    return false;
  }
}

async function refuse(forge: Forge, comment: CommandComment, reply: string, log: Logger): Promise<void> {
  await bestEffort(log, "react 👎 to", () => forge.acknowledge(comment.ref, comment.commentId, "-1"));
  await bestEffort(log, "reply to", () => replyOn(forge, comment.ref, reply));
}

async function bestEffort(log: Logger, what: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    log.warn({ err: error }, `could not ${what} the command comment`);
  }
}
