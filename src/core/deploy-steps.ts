import type { Policy } from "../config/config.js";
import { PrboxError } from "../errors.js";
import type { Logger } from "../log.js";
import type { DesiredState } from "./desired.js";
import type { RenderedEnvironment } from "../model.js";
import { probeAddresses } from "../probe.js";
import { probeTargets } from "./ready-summary.js";

// Small steps of reconcile.ts's deploy.

/** Milliseconds since the last call (or since it was made). */
export function stopwatch(): () => number {
  let mark = Date.now();
  return () => {
    const now = Date.now();
    const ms = now - mark;
    mark = now;
    return ms;
  };
}

/**
 * PRBOX_PROBE, or the spec's `probe`: the environment's addresses answer below 500 before
 * "ready" (src/probe.ts). Returns the time it took (ms); throws the probe's failure.
 */
export async function probeIfWanted(
  rendered: RenderedEnvironment,
  policy: Pick<Policy, "probe" | "probeTimeoutMs">,
  log: Logger,
  signal: AbortSignal,
): Promise<number> {
  const wanted = rendered.environment.probe ?? policy.probe;
  const targets = wanted === false ? [] : probeTargets(rendered);
  if (targets.length === 0) return 0;
  const started = Date.now();
  await probeAddresses(targets, { timeoutMs: policy.probeTimeoutMs, signal });
  log.debug({ targets, ms: Date.now() - started }, "the preview answers");
  return Date.now() - started;
}

/**
 * A close (or /destroy) while a deploy runs must win: the deploy is aborted so the teardown job,
 * waiting behind it in the queue, runs at once and nothing is resurrected.
 */
export function watchForClose(
  envId: string,
  controller: AbortController,
  deps: { store: { getDesired(envId: string): Promise<DesiredState | null> }; log: Logger; everyMs?: number },
): () => void {
  const timer = setInterval(() => {
    deps.store.getDesired(envId).then(
      (now) => {
        if (now?.action === "destroy")
          controller.abort(new PrboxError("the pull request was closed during the deploy", { kind: "transient" }));
      },
      (error: unknown) => deps.log.warn({ err: error }, "could not check whether the deploy is still wanted"),
    );
  }, deps.everyMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}
