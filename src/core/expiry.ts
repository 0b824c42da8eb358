import type { DesiredState } from "./desired.js";

// When an idle preview is deleted (PRBOX_IDLE_TTL), the warning before it, and what `/keep` and
// `/extend <duration>` change. Pure: the sweep and the command handling call it with their clock.

/** The longest `/extend` accepts: a preview nobody touches for a month should go. */
export const MAX_EXTENSION_MS = 30 * 24 * 3_600_000;

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 24 * 3_600_000 };

/** `/extend`'s duration: whole minutes, hours or days, combined (`2d`, `36h`, `1d12h`); null otherwise. */
export function parseExtension(text: string): number | null {
  const parts = [...text.matchAll(/(\d+)([mhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return null;
  const ms = parts.reduce((total, [, n, unit]) => total + Number(n) * (UNITS[unit as string] ?? 0), 0);
  return ms > 0 ? ms : null;
}

/**
 * When the sweep deletes the environment, in ms since the epoch, or null when it never does: no
 * TTL, or `/keep`. The later of "idle for the TTL since the last event" and an `/extend` deadline.
 */
export function expiryOf(
  desired: Pick<DesiredState, "eventAt" | "wokeAt" | "keep" | "keepUntil">,
  ttlMs: number,
): number | null {
  if (ttlMs <= 0 || desired.keep) return null;
  const idle = lastActivity(desired) + ttlMs;
  const extended = desired.keepUntil ? Date.parse(desired.keepUntil) : Number.NEGATIVE_INFINITY;
  return Math.max(idle, extended);
}

/** The last activity (ms): the last event, or a later visit that woke the preview (ADR 28). */
export function lastActivity(desired: Pick<DesiredState, "eventAt" | "wokeAt">): number {
  const event = Date.parse(desired.eventAt);
  return desired.wokeAt ? Math.max(event, Date.parse(desired.wokeAt)) : event;
}

/**
 * Whether the sweep puts the preview to sleep now (ADR 28): sleep is on, it is deployed and up to
 * date (`ready` at the wanted commit), not asleep already, and idle for PRBOX_SLEEP_AFTER.
 */
export function sleepDue(
  desired: Pick<DesiredState, "eventAt" | "wokeAt" | "sleepSince" | "action" | "sha">,
  observed: { sha: string | null; status: string } | null,
  sleepAfterMs: number,
  now: number,
): boolean {
  if (sleepAfterMs <= 0 || desired.sleepSince || desired.action !== "deploy") return false;
  if (observed?.status !== "ready" || observed.sha !== desired.sha) return false;
  return now >= lastActivity(desired) + sleepAfterMs;
}

/** What the sweep does about expiry now: delete, warn (once per deadline), or nothing. */
export function expiryStep(
  desired: Pick<DesiredState, "eventAt" | "wokeAt" | "keep" | "keepUntil" | "warnedFor">,
  policy: { idleTtlMs: number; expiryWarningMs: number },
  now: number,
): { action: "delete" } | { action: "warn"; at: number } | { action: "none" } {
  const at = expiryOf(desired, policy.idleTtlMs);
  if (at === null) return { action: "none" };
  if (now >= at) return { action: "delete" };
  const window = warningWindow(policy);
  if (window > 0 && now >= at - window && desired.warnedFor !== new Date(at).toISOString())
    return { action: "warn", at };
  return { action: "none" };
}

/**
 * How long before the deadline the warning comes: PRBOX_EXPIRY_WARNING, but at most half the TTL.
 * A warning as long as the TTL (PRBOX_IDLE_TTL=24h with the default 24h) would otherwise follow
 * every push: each event moves the deadline, and each deadline is warned about once.
 */
export function warningWindow(policy: { idleTtlMs: number; expiryWarningMs: number }): number {
  return Math.max(0, Math.min(policy.expiryWarningMs, policy.idleTtlMs / 2));
}

/** "Fri, 04 Dec 2026 14:00 UTC (in 23 hours)": a deadline in a comment. */
export function describeDeadline(at: number, now: number): string {
  const when = new Date(at).toUTCString().replace(/:\d\d GMT$/, " UTC");
  const hours = Math.max(0, Math.round((at - now) / 3_600_000));
  const left = hours >= 48 ? `${Math.round(hours / 24)} days` : hours === 1 ? "1 hour" : `${hours} hours`;
  return `${when} (in ${left})`;
}

/**
 * The answer to a writer's `/keep` or `/extend`, from the desired state once the command is stored:
 * the deadline as the sweep will compute it (an `/extend` shorter than the TTL changes nothing,
 * since the command itself restarts the countdown; an earlier `/keep` or longer `/extend` stands).
 */
export function keptText(
  desired: Pick<DesiredState, "eventAt" | "wokeAt" | "keep" | "keepUntil"> | null,
  ttlMs: number,
  now: number,
): string {
  if (ttlMs <= 0) return "previews here are not deleted for inactivity, so there is nothing to keep; noted anyway.";
  if (!desired) return "noted.";
  const at = expiryOf(desired, ttlMs);
  if (at === null)
    return "this preview is kept while the pull request is open: it is no longer deleted for inactivity.";
  return `this preview is now deleted on ${describeDeadline(at, now)} unless something happens on this pull request before then (a push restarts the countdown).`;
}

/** The reply the sweep posts before it deletes an idle preview. */
export function warningText(at: number, now: number, ttlMs: number): string {
  return [
    `⏰ This preview will be deleted on ${describeDeadline(at, now)}: nothing happened on this pull request for ${Math.round(ttlMs / 3_600_000)} hours by then.`,
    "",
    "A push restarts the countdown; a writer can comment `/keep` to keep it while this pull request is open, or `/extend 3d` to keep it at least three more days.",
  ].join("\n");
}
