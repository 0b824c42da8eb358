// PRBOX_REQUIRED_CHECKS on GitLab, at the edge: a Pipeline Hook whose required jobs settled, and a
// merge request that opens or moves after its pipeline already finished, both become a
// ChecksEvent for the core (src/core/transitions.ts), as GitHub's check suites do.
import type { IntakeDeps, IntakeResult } from "../../core/intake.js";
import type { Logger } from "../../log.js";
import type { ChecksVerdict } from "../../core/checks.js";
import type { ChecksEvent, PullRequestEvent } from "../../core/events.js";
import type { PullRequestRef } from "../../core/forge.js";
import { mrRef } from "./events.js";
import { ignored, NotStoredError, store, type DeliveryOutcome } from "./outcome.js";
import type { PipelineHook } from "./payloads.js";
import { jobsVerdict } from "./pipelines.js";

/** What the gate asks GitLab (GitLabForge). */
export interface PipelineChecks {
  requiredJobs(ref: PullRequestRef, sha: string, required: readonly string[]): Promise<ChecksVerdict>;
  mergeRequestsAt(project: { id: number; path: string }, branch: string, sha: string): Promise<number[]>;
}

export interface GateDeps {
  intake: IntakeDeps;
  checks: PipelineChecks;
}

function checksEvent(ref: PullRequestRef, sha: string, verdict: ChecksVerdict): ChecksEvent {
  return { kind: "checks", ref, sha, passed: verdict.passed, summary: verdict.summary, at: new Date().toISOString() };
}

/**
 * A Pipeline Hook: when the required jobs among its `builds` settled, a ChecksEvent for each merge
 * request the pipeline ran for. A merge request pipeline names its MR; a branch pipeline does
 * not, so the open MRs from that branch whose head is the pipeline's commit are asked for. A
 * pipeline whose required jobs are still to come changes nothing.
 */
export async function pipelineGate(
  hook: PipelineHook,
  required: readonly string[],
  deliveryId: string,
  deps: GateDeps,
): Promise<DeliveryOutcome> {
  const pipeline = hook.object_attributes;
  const verdict = jobsVerdict(hook.builds, required, pipeline.sha);
  if (!verdict.settled) return ignored(`pipeline ${pipeline.id}: ${verdict.summary}`);
  const iids = await mergeRequestsOf(hook, deps.checks);
  if (iids.length === 0)
    return ignored(`pipeline ${pipeline.id} ran for no open merge request of ${hook.project.path_with_namespace}`);
  const results: string[] = [];
  let combined: IntakeResult = "duplicate";
  for (const iid of iids) {
    const result = await store(
      checksEvent(mrRef(hook.project, iid), pipeline.sha, verdict),
      `${deliveryId}:${iid}`,
      deps.intake,
    );
    results.push(`!${iid} ${result}`);
    if (result === "queued" || (result === "unchanged" && combined === "duplicate")) combined = result;
  }
  return { result: combined, text: `checks ${verdict.passed ? "passed" : "failed"}: ${results.join(", ")}` };
}

async function mergeRequestsOf(hook: PipelineHook, checks: PipelineChecks): Promise<number[]> {
  const { object_attributes: pipeline, merge_request: mr, project } = hook;
  // A pipeline in a fork's project is the fork's hook's business; prbox serves the target project.
  if (mr) return mr.target_project_id === project.id ? [mr.iid] : [];
  if (pipeline.tag) return [];
  return checks.mergeRequestsAt({ id: project.id, path: project.path_with_namespace }, pipeline.ref, pipeline.sha);
}

/**
 * After a merge request event: its pipeline may have finished before GitLab told prbox about the
 * new head, and no Pipeline Hook will come again. So the required jobs on the head are asked for
 * once, as on GitHub. GitLab's API failing here is logged, not answered with an error: the MR
 * event is stored, and a later pipeline or a `/deploy` still decides.
 */
export async function gateOnHead(
  event: PullRequestEvent,
  deliveryId: string,
  deps: GateDeps,
  log: Logger,
): Promise<IntakeResult | null> {
  const required = deps.intake.policy.requiredChecks ?? [];
  if (required.length === 0 || event.action === "closed") return null;
  try {
    const verdict = await deps.checks.requiredJobs(event.ref, event.head.sha, required);
    if (!verdict.settled) return null;
    return await store(checksEvent(event.ref, event.head.sha, verdict), `${deliveryId}:checks`, deps.intake);
  } catch (error) {
    if (error instanceof NotStoredError) throw error;
    log.warn({ err: error }, "could not read the merge request's pipelines; a later pipeline or /deploy decides");
    return null;
  }
}
