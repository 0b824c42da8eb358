import type { Logger } from "../log.js";
import type { PullRequestEvent } from "./events.js";
import type { Forge } from "./forge.js";

/**
 * With path filters (PRBOX_PATHS), a PR event with the files the PR changes, read through the
 * forge when the edge takes the event in: forge I/O stays out of the pure transition, which only
 * matches (src/core/wanted.ts). A forge that does not answer leaves the event as it was: the PR
 * is then gated as if no filter were set (deploying is the safe mistake; the filter saves cost,
 * it guards nothing), and the next event reads the files again. A close needs no files.
 */
export async function withChangedFiles(
  event: PullRequestEvent,
  forge: Forge,
  paths: readonly string[],
  log: Logger,
): Promise<PullRequestEvent> {
  if (paths.length === 0 || event.action === "closed") return event;
  try {
    const changed = await forge.changedFiles(event.ref);
    return { ...event, changedFiles: { sha: event.head.sha, ...changed } };
  } catch (error) {
    log.warn(
      { err: error, repo: event.ref.repo, pr: event.ref.pr },
      "could not read the files the pull request changes; PRBOX_PATHS does not hold this event back",
    );
    return event;
  }
}
