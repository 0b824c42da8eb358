// Waiting for asynchronous outcomes without fixed sleeps: poll a probe until it holds, within a
// bound, and say what was awaited (and what was seen last) when it does not.
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** At most this long; default 60 s. */
  timeoutMs?: number;
  intervalMs?: number;
  /** Runs before every probe; throws to end the wait at once (e.g. the fake saw a bad request). */
  check?: () => void;
  /** What the world looked like, for the message when the time runs out. */
  state?: () => unknown;
}

type Probe<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

/** Resolves with the probe's first truthy answer; throws after `timeoutMs`. */
export async function until<T>(what: string, probe: Probe<T>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.check?.();
    try {
      const value = await probe();
      if (value) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) break;
    await sleep(options.intervalMs ?? 200);
  }
  const seen = options.state ? `\nlast seen: ${JSON.stringify(options.state(), null, 2)}` : "";
  const failed = lastError ? `\nthe probe last threw: ${String(lastError)}` : "";
  throw new Error(`gave up after ${timeoutMs / 1000} s waiting until ${what}${failed}${seen}`);
}

/** Checks that `condition` keeps holding for `forMs` (something must NOT happen). */
export async function stays(
  what: string,
  condition: () => boolean | Promise<boolean>,
  options: { forMs: number; intervalMs?: number; check?: () => void },
): Promise<void> {
  const end = Date.now() + options.forMs;
  while (Date.now() < end) {
    options.check?.();
    if (!(await condition()))
      throw new Error(`expected ${what} to hold for ${options.forMs / 1000} s, but it stopped holding`);
    await sleep(options.intervalMs ?? 250);
  }
}
