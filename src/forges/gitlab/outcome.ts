import { intake, type IntakeDeps, type IntakeResult } from "../../core/intake.js";
import type { ForgeEvent } from "../../core/events.js";

/** What prbox did with a delivery, for the metrics and the one-line answer GitLab keeps. */
export type DeliveryResult = IntakeResult | "ignored" | "refused" | "failed";

export interface DeliveryOutcome {
  result: DeliveryResult;
  /** One short line for the HTTP answer, visible in GitLab's "Recent events" of the webhook. */
  text: string;
}

export const ignored = (why: string): DeliveryOutcome => ({ result: "ignored", text: `ignored: ${why}` });

/**
 * The event could not be stored (Redis down): the one failure answered with a 5xx, so GitLab
 * records a failed delivery and sends it again.
 */
export class NotStoredError extends Error {
  constructor(cause: unknown) {
    super(`the event could not be stored: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "NotStoredError";
  }
}

/** intake, with its failure marked as the one that must answer 503. */
export async function store(event: ForgeEvent, deliveryId: string, deps: IntakeDeps): Promise<IntakeResult> {
  try {
    return await intake(event, deliveryId, deps);
  } catch (error) {
    throw new NotStoredError(error);
  }
}
