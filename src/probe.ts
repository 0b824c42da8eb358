import { setTimeout as sleep } from "node:timers/promises";
import { PrboxError } from "./errors.js";

/**
 * "Ready means it answers" (PRBOX_PROBE): after the objects are ready, each address is requested
 * until it answers below 500, at most `timeoutMs` in all. The addresses are the environment's
 * own Ingress rules, whose hosts the render already held to PRBOX_INGRESS_HOSTS or the PR's
 * pr-<N>: a spec cannot point prbox at an address of its choosing.
 */
export interface ProbeOptions {
  timeoutMs: number;
  /** Pause between tries of one address (ms); default 1000. */
  intervalMs?: number;
  /** How long one request may take (ms); default 5000. */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** What an address said last: an HTTP status, or why there was none. */
type Answer = { status: number } | { error: string };

async function ask(url: string, options: ProbeOptions): Promise<Answer> {
  const timeout = AbortSignal.timeout(options.requestTimeoutMs ?? 5000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await (options.fetch ?? fetch)(url, { redirect: "manual", signal });
    await response.body?.cancel();
    return { status: response.status };
  } catch (error) {
    if (timeout.aborted) return { error: `no answer within ${String((options.requestTimeoutMs ?? 5000) / 1000)} s` };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { error: cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error)) };
  }
}

const answered = (a: Answer) => "status" in a && a.status < 500;
const said = (a: Answer) => ("status" in a ? `answered ${String(a.status)}` : `did not answer (${a.error})`);

/**
 * Resolves once every address answered below 500; otherwise a permanent PrboxError naming each
 * address that did not, with its last answer and how many tries it had.
 */
export async function probeAddresses(urls: readonly string[], options: ProbeOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const waiting = new Map(urls.map((url) => [url, { last: { error: "not asked yet" } as Answer, tries: 0 }]));
  for (;;) {
    for (const [url, state] of waiting) {
      state.last = await ask(url, options);
      state.tries++;
      if (answered(state.last)) waiting.delete(url);
    }
    if (waiting.size === 0) return;
    options.signal?.throwIfAborted();
    if (Date.now() + (options.intervalMs ?? 1000) > deadline) break;
    await sleep(options.intervalMs ?? 1000, undefined, { signal: options.signal });
  }
  const lines = [...waiting].map(([url, s]) => `  - ${url} ${said(s.last)} (last of ${String(s.tries)} tries)`);
  throw new PrboxError(
    `the preview does not answer: within ${String(Math.round(options.timeoutMs / 1000))} s ${waiting.size === 1 ? "this address" : "these addresses"} did not answer below 500:\n${lines.join("\n")}`,
    {
      kind: "permanent",
      hint: "check the application's logs and readiness probe; push a fix or comment /reload (PRBOX_PROBE_TIMEOUT sets how long prbox asks)",
    },
  );
}
