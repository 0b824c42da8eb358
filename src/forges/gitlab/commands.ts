import { intake, type IntakeDeps, type IntakeResult } from "../../core/intake.js";
import type { Logger } from "../../log.js";
import type { CommandEvent, CommandName, ForgeEvent } from "../events.js";
import type { Forge } from "../forge.js";
import type { CommandNote } from "./events.js";
import { ignored, NotStoredError, type Outcome } from "./outcome.js";

export interface CommandDeps {
  intake: IntakeDeps;
  forgeFor(projectId: string): Forge;
  /** Whether a GitLab user id is the one GITLAB_TOKEN acts as (GitLabForge.isTokenUser). */
  isOwnNote?(userId: number): Promise<boolean>;
}

/**
 * A `/reload`, `/destroy` or `/deploy` note: only for members with the Developer role or higher
 * (asked through the API), pinned to the MR's head as GitLab reports it now, then stored and
 * acknowledged with 👍. Others get 👎 and a polite reply, and nothing runs. Failing to
 * acknowledge or reply does not undo a stored command.
 */
export async function runCommand(note: CommandNote, command: CommandName, deliveryId: string, deps: CommandDeps, log: Logger): Promise<Outcome> {
  if (deps.isOwnNote && (await deps.isOwnNote(note.userId))) return ignored("prbox's own note");
  const forge = deps.forgeFor(note.ref.target);
  if (!(await forge.canWrite(note.ref, note.username))) {
    await bestEffort(log, "award 👎", () => forge.acknowledge(note.ref, note.noteId, "-1"));
    await bestEffort(log, "reply", () => forge.reply(note.ref, refusal(note.username, command)));
    log.info({ user: note.username, command }, "command refused: the user is not a Developer");
    return { result: "refused", text: `refused: ${note.username} may not run /${command}` };
  }
  const mr = await forge.pullRequest(note.ref);
  if (mr.state === "closed") {
    await bestEffort(log, "award 👎", () => forge.acknowledge(note.ref, note.noteId, "-1"));
    await bestEffort(log, "reply", () => forge.reply(note.ref, `@${note.username} this merge request is closed, so \`/${command}\` does nothing; reopen it to get a preview again.`));
    return { result: "refused", text: `refused: the merge request is closed` };
  }
  const event: CommandEvent = {
    kind: "command",
    command,
    ref: note.ref,
    user: note.username,
    commentId: note.noteId,
    head: { branch: mr.headBranch, sha: mr.headSha, fork: mr.fork, labels: note.labels },
    at: note.at,
  };
  const result = await store(event, deliveryId, deps.intake);
  if (result !== "duplicate") await bestEffort(log, "award 👍", () => forge.acknowledge(note.ref, note.noteId, "+1"));
  return { result, text: `/${command}: ${result}` };
}

/** intake, with its failure marked as the one that must answer 503. */
export async function store(event: ForgeEvent, deliveryId: string, deps: IntakeDeps): Promise<IntakeResult> {
  try {
    return await intake(event, deliveryId, deps);
  } catch (error) {
    throw new NotStoredError(error);
  }
}

async function bestEffort(log: Logger, what: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    log.warn({ err: error }, `could not ${what} on the command note`);
  }
}

function refusal(user: string, command: CommandName): string {
  return `@${user} thanks! Only members with the Developer role or higher can run \`/${command}\` on this project; a maintainer can run it for you.`;
}
