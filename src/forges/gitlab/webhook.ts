import type { IncomingMessage, ServerResponse } from "node:http";
import type { IntakeDeps } from "../../core/intake.js";
import { PrboxError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { RouteHandler } from "../../http.js";
import { handleCommand } from "../../core/commands.js";
import { withChangedFiles } from "../../core/changed-files.js";
import type { Forge } from "../../core/forge.js";
import { commandNote, mergeRequestEvent } from "./events.js";
import { answer, declaredJson, declaredTooLarge, readBody, refuse } from "../../http.js";
import { gateOnHead, pipelineGate, type PipelineChecks } from "./gates.js";
import { deliveryId, eventName, tokenChecker } from "./http.js";
import { ignored, NotStoredError, store, type DeliveryResult, type DeliveryOutcome } from "./outcome.js";
import { describeIssues, noteHead, mergeRequestHook, mergeRequestNoteHook, pipelineHook } from "./payloads.js";

export const GITLAB_WEBHOOK_PATH = "/api/gitlab/webhooks";

export interface GitLabWebhookOptions {
  /** GITLAB_WEBHOOK_SECRET: the "Secret token" of the project's or group's webhook. */
  secret: string;
  path?: string;
  intake: IntakeDeps;
  /** The adapter for a project (by numeric id); for commands: permission, head, replies, awards. */
  forgeFor(projectId: string): Forge;
  /** PRBOX_REQUIRED_CHECKS: pipelines and jobs through the API (GitLabForge). */
  checks: PipelineChecks;
  /** Larger bodies are refused with 413 (GitLab's payloads are a few KiB; a long MR description more). */
  maxBodyBytes: number;
  /** Counts deliveries by event and result, for /metrics. */
  onDelivery?(event: string, result: DeliveryResult): void;
}

/**
 * GitLab's webhook edge: verifies `X-Gitlab-Token`, normalises a Merge Request Hook, a Note Hook
 * with a command or a Pipeline Hook whose required jobs settled, stores and enqueues it
 * (src/core/intake.ts), and answers at once. GitLab disables webhooks that keep failing, so
 * nothing uninteresting or unknown gets a 5xx: the only 5xx is a 503 when the event could not be
 * stored. Returns false for other paths.
 */
export function gitlabWebhookRoute(options: GitLabWebhookOptions): RouteHandler {
  if (options.secret === "") throw new PrboxError("the GitLab webhook secret must not be empty", { kind: "internal" });
  const path = options.path ?? GITLAB_WEBHOOK_PATH;
  const tokenMatches = tokenChecker(options.secret);
  return async (req, res) => {
    if ((req.url ?? "/").split("?")[0] !== path) return false;
    if (req.method !== "POST") {
      refuse(req, res, 405, "only POST is accepted here", { allow: "POST" });
      return true;
    }
    if (!tokenMatches(req.headers["x-gitlab-token"])) {
      // Worth a warning: most often the webhook's secret and GITLAB_WEBHOOK_SECRET differ.
      options.intake.log.warn(
        { forge: "gitlab", event: eventName(req) },
        "refused a GitLab webhook delivery: wrong or missing X-Gitlab-Token",
      );
      refuse(req, res, 401, "X-Gitlab-Token is missing or does not match the webhook secret");
      return true;
    }
    await receive(req, res, options);
    return true;
  };
}

async function receive(req: IncomingMessage, res: ServerResponse, options: GitLabWebhookOptions): Promise<void> {
  if (!declaredJson(req)) return refuse(req, res, 415, "the body must be application/json, as GitLab sends it");
  const event = eventName(req);
  if (event === undefined) return refuse(req, res, 400, "X-Gitlab-Event is missing");
  const tooLarge = `the body is larger than ${options.maxBodyBytes} bytes`;
  if (declaredTooLarge(req, options.maxBodyBytes)) return refuse(req, res, 413, tooLarge);
  const body = await readBody(req, options.maxBodyBytes).catch(() => undefined);
  if (body === undefined) return; // the client went away
  if (body === null) return answer(res, 413, tooLarge);
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch {
    return answer(res, 400, "the body is not JSON");
  }
  const id = deliveryId(req, body);
  const log = options.intake.log.child({ forge: "gitlab", delivery: id, event });
  const outcome = await dispatch(event, payload, id, options, log).catch((error: unknown) => failed(error, log));
  answer(res, outcome.status, outcome.text);
  log.debug({ status: outcome.status, result: outcome.result }, outcome.text);
  options.onDelivery?.(metricName(event), outcome.result);
}

type Answered = DeliveryOutcome & { status: number };

async function dispatch(
  event: string,
  payload: unknown,
  id: string,
  options: GitLabWebhookOptions,
  log: Logger,
): Promise<Answered> {
  if (event === "Merge Request Hook") return onMergeRequest(payload, id, options, log);
  if (event === "Pipeline Hook") return onPipeline(payload, id, options);
  if (event !== "Note Hook") return { status: 200, ...ignored(`prbox does not act on ${event}`) };
  const head = noteHead.safeParse(payload);
  if (!head.success)
    return { status: 400, result: "ignored", text: `not a note payload: ${describeIssues(head.error)}` };
  if (head.data.object_attributes.noteable_type !== "MergeRequest")
    return { status: 200, ...ignored("not a merge request note") };
  return onNote(payload, id, options, log);
}

async function onMergeRequest(
  payload: unknown,
  id: string,
  options: GitLabWebhookOptions,
  log: Logger,
): Promise<Answered> {
  const hook = mergeRequestHook.safeParse(payload);
  if (!hook.success)
    return { status: 400, result: "ignored", text: `not a merge request payload: ${describeIssues(hook.error)}` };
  const normalised = mergeRequestEvent(hook.data);
  if ("ignored" in normalised) return { status: 200, ...ignored(normalised.ignored) };
  const forge = options.forgeFor(normalised.event.ref.target);
  const event = await withChangedFiles(normalised.event, forge, options.intake.policy.paths ?? [], log);
  const result = await store(event, id, options.intake);
  const checks = await gateOnHead(event, id, options, log);
  const text = `${event.action}: ${result}${checks ? `; checks settled: ${checks}` : ""}`;
  return { status: 200, result: checks === "queued" ? checks : result, text };
}

/** Only with PRBOX_REQUIRED_CHECKS: without them a pipeline means nothing to prbox and is not even parsed. */
async function onPipeline(payload: unknown, id: string, options: GitLabWebhookOptions): Promise<Answered> {
  const required = options.intake.policy.requiredChecks ?? [];
  if (required.length === 0)
    return { status: 200, ...ignored("no required checks are configured (PRBOX_REQUIRED_CHECKS)") };
  const hook = pipelineHook.safeParse(payload);
  if (!hook.success)
    return { status: 400, result: "ignored", text: `not a pipeline payload: ${describeIssues(hook.error)}` };
  return { status: 200, ...(await pipelineGate(hook.data, required, id, options)) };
}

async function onNote(payload: unknown, id: string, options: GitLabWebhookOptions, log: Logger): Promise<Answered> {
  const hook = mergeRequestNoteHook.safeParse(payload);
  if (!hook.success)
    return { status: 400, result: "ignored", text: `not a merge request note payload: ${describeIssues(hook.error)}` };
  const candidate = commandNote(hook.data);
  if ("ignored" in candidate) return { status: 200, ...ignored(candidate.ignored) };
  const comment = candidate.event;
  return {
    status: 200,
    ...(await handleCommand(comment, options.forgeFor(comment.ref.target), id, { ...options.intake, log }, store)),
  };
}

/**
 * Not stored: 503, GitLab retries. Anything else (GitLab's API failing while a command was
 * checked or a branch pipeline's merge requests were looked up, or a bug) is logged and answered
 * 200 with the reason: failures count towards GitLab disabling the webhook, a command can simply
 * be given again, and a merge request's next pipeline or a `/deploy` still decides its gate.
 */
function failed(error: unknown, log: Logger): Answered {
  if (error instanceof NotStoredError) {
    log.error({ err: error.cause }, error.message);
    return { status: 503, result: "failed", text: "could not store the event; please retry" };
  }
  const known = error instanceof PrboxError && error.kind !== "internal";
  log.error({ err: error }, known ? "the delivery could not be processed" : "bug: the delivery could not be processed");
  return {
    status: 200,
    result: "failed",
    text: `not processed: ${known ? (error as PrboxError).message : "internal error"}`,
  };
}

/** A bounded set of event names for the metrics' labels. */
function metricName(event: string): string {
  if (event === "Merge Request Hook") return "merge_request";
  if (event === "Note Hook") return "note";
  if (event === "Pipeline Hook") return "pipeline";
  return "other";
}
