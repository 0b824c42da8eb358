import type { Logger } from "../log.js";
import type { DesiredState } from "./desired.js";
import type { Forge } from "./forge.js";
import { commentBody, commitStatus, environmentState, type Report } from "./report.js";
import { upsertStickyComment } from "./sticky-comment.js";
import { testsStatus } from "./test-report.js";

/**
 * Tells the PR what reconcile.ts did, in every place the forge shows it: the sticky comment, the
 * commit statuses (prbox, and prbox/tests after chart tests) and the forge's environment record.
 */
export async function report(desired: DesiredState, step: { forge: Forge; log: Logger }, body: Report): Promise<void> {
  const { forge } = step;
  const comment = commentBody(body);
  await upsertStickyComment(forge, desired.ref, comment, step.log);
  const status = commitStatus(body);
  // A deploy's outcome carries the whole report (GitHub's check run shows it); a hold or a retry does not.
  const outcome = body.state === "ready" || (body.state === "failed" && !body.retry);
  if (status && "sha" in body)
    await forge.setCommitStatus(desired.ref, body.sha, outcome ? { ...status, summary: comment } : status);
  const tests = body.state === "ready" ? testsStatus(body.summary.tests, body.url) : null;
  if (tests && "sha" in body) await forge.setCommitStatus(desired.ref, body.sha, tests);
  const state = environmentState(body);
  if (state) {
    const url = body.state === "ready" ? body.url : null;
    await forge.setEnvironmentStatus(desired.ref, { environment: desired.envId, sha: desired.sha, state, url });
  }
}
