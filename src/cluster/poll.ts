import { ClusterError } from "../errors.js";

/** The error every cancelled cluster operation throws: transient, so a re-queued job tries again. */
export function cancelled(what: string, signal: AbortSignal): ClusterError {
  return new ClusterError(`${what}: cancelled`, { kind: "transient", cause: signal.reason });
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelled(what, signal);
}

/**
 * Cuts a poll's pause short: whoever learns that something changed (a watch) calls `notify`, and
 * the pause in progress, or the next one, ends at once.
 */
export class Wakeup {
  private waiting: (() => void) | null = null;
  private notified = false;

  notify(): void {
    if (this.waiting) this.waiting();
    else this.notified = true;
  }

  /** Whether `notify` was called since the last pause; clears it. */
  take(): boolean {
    const was = this.notified;
    this.notified = false;
    return was;
  }

  /** The pause in progress registers how to end it early (null when it ended). */
  onNotify(end: (() => void) | null): void {
    this.waiting = end;
  }
}

/** setTimeout as a promise that an AbortSignal cuts short, and a Wakeup ends early. */
export function sleep(ms: number, signal?: AbortSignal, what = "waiting", wakeup?: Wakeup): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled(what, signal));
      return;
    }
    if (wakeup?.take()) {
      resolve();
      return;
    }
    const end = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      wakeup?.onNotify(null);
    };
    const onAbort = (): void => {
      end();
      reject(cancelled(what, signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      end();
      resolve();
    }, ms);
    wakeup?.onNotify(() => {
      end();
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Named in the "cancelled" message. */
  what: string;
  /** Ends a pause early: the next check runs as soon as something changed. */
  wakeup?: Wakeup;
}

/** The first pause between checks; it doubles up to the interval. */
const FIRST_PAUSE_MS = 100;

/**
 * Calls `check` until it returns true or the deadline passes; returns whether
 * it did. One check always runs, even with a zero timeout, so a condition that
 * already holds is never reported as timed out. The pauses start short and
 * double up to the interval: most waits end within a second (a rollout, a
 * deletion), and a fixed 1 s pause added up to a second to every deploy.
 */
export async function pollUntil(check: () => Promise<boolean>, options: PollOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 500;
  let pause = Math.min(FIRST_PAUSE_MS, interval);
  for (;;) {
    throwIfAborted(options.signal, options.what);
    if (await check()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(pause, left), options.signal, options.what, options.wakeup);
    pause = Math.min(pause * 2, interval);
  }
}

/** "2m30s", "45s", "800ms": how long prbox waited, in messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 10_000 && ms % 1000 !== 0) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  if (minutes === 0) return `${seconds}s`;
  return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
}
