import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { RenderError } from "../errors.js";
import { helmEnvironment } from "./helm-binary.js";

const MIB = 1024 * 1024;
/** How often helm's resident memory is read (Linux /proc). */
const MEMORY_POLL_MS = 100;
const MAX_STDERR = MIB;

/** Bounds of one `helm template` (PRBOX_RENDER_TIMEOUT, PRBOX_RENDER_MEMORY_MB, PRBOX_RENDER_MAX_OUTPUT_MB). */
export interface HelmLimits {
  timeoutMs: number;
  /** Resident memory in MiB; 0: not watched. */
  memoryMb: number;
  maxOutputMb: number;
}

export interface HelmTemplateRequest {
  helm: string;
  release: string;
  chartDir: string;
  namespace: string;
  valuesFile: string | null;
  /** Scratch directory for helm's own files. */
  scratch: string;
  /** The chart's directory relative to the sources root, for messages. */
  shownChart: string;
  /** `boxes[0] (api)`, for messages. */
  box: string;
  limits: HelmLimits;
  signal?: AbortSignal;
  /** Called once helm's process is started. */
  onSpawn?: () => void;
}

type Overrun = "time" | "memory" | "output";

/**
 * Runs the real `helm template` (no cluster access) and returns its YAML stream. A template is
 * a program the pull request wrote: helm is killed when it runs too long, holds too much memory
 * or prints too much, and the error says which limit and which setting raises it.
 */
export async function helmTemplate(request: HelmTemplateRequest): Promise<string> {
  const args = ["template", request.release, request.chartDir, "--namespace", request.namespace];
  if (request.valuesFile) args.push("--values", request.valuesFile);
  const { limits } = request;
  const env = { ...helmEnvironment(request.scratch), ...collectorSettings(limits.memoryMb) };
  const child = spawn(request.helm, args, { env, stdio: ["ignore", "pipe", "pipe"], signal: request.signal });
  let overrun: Overrun | null = null;
  const stop = (why: Overrun) => {
    overrun ??= why;
    child.kill("SIGKILL");
  };
  const stdout: Buffer[] = [];
  let outBytes = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    outBytes += chunk.length;
    if (outBytes > limits.maxOutputMb * MIB) return stop("output");
    stdout.push(chunk);
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    if (stderr.length < MAX_STDERR) stderr += chunk.toString("utf8");
  });
  const timer = setTimeout(() => stop("time"), limits.timeoutMs);
  const watcher =
    limits.memoryMb > 0 && child.pid !== undefined
      ? watchMemory(child.pid, limits.memoryMb, () => stop("memory"))
      : null;
  request.onSpawn?.(); // after the watchers: a caller may keep the main thread busy a while
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (status) => resolve(status));
    });
    if (overrun) throw overrunError(request, overrun);
    if (code !== 0) throw Object.assign(new Error(`helm exited with status ${code}`), { stderr });
    return Buffer.concat(stdout).toString("utf8");
  } catch (error) {
    if (error instanceof RenderError) throw error;
    throw helmFailure(request, error as Error & { stderr?: string });
  } finally {
    clearTimeout(timer);
    if (watcher) clearInterval(watcher);
  }
}

/**
 * Go's collector for a short-lived helm: GOGC=400 lets the heap grow to five times what is live
 * before collecting (the default, 100, collects several times while helm merely starts: ~20 % of
 * a small render's CPU), and GOMEMLIMIT at three quarters of the memory limit makes it collect
 * hard well before prbox kills helm for its resident memory (binary, stacks and heap).
 */
export function collectorSettings(memoryMb: number): Record<string, string> {
  if (memoryMb <= 0) return {};
  return { GOGC: "400", GOMEMLIMIT: `${Math.floor(memoryMb * 0.75)}MiB` };
}

/** Reads VmRSS from /proc every MEMORY_POLL_MS; stops watching where there is no /proc (not Linux). */
function watchMemory(pid: number, limitMb: number, onExceeded: () => void): NodeJS.Timeout {
  const timer = setInterval(() => {
    readFile(`/proc/${pid}/status`, "utf8").then(
      (status) => {
        const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
        if (kb > limitMb * 1024) onExceeded();
      },
      () => clearInterval(timer),
    );
  }, MEMORY_POLL_MS);
  timer.unref();
  return timer;
}

function overrunError(request: HelmTemplateRequest, overrun: Overrun): RenderError {
  const { limits, release } = request;
  const text = {
    time: [
      `helm took longer than ${limits.timeoutMs / 1000} s rendering box ${release}; the limit is PRBOX_RENDER_TIMEOUT`,
      "look for a template that loops (a range over a huge number, tpl or include calling itself)",
    ],
    memory: [
      `helm used more than ${limits.memoryMb} MiB of memory rendering box ${release}; the limit is PRBOX_RENDER_MEMORY_MB`,
      "look for a template that builds huge strings (repeat, a recursive tpl)",
    ],
    output: [
      `helm printed more than ${limits.maxOutputMb} MiB of YAML rendering box ${release}; the limit is PRBOX_RENDER_MAX_OUTPUT_MB (output this large is almost always a runaway template, and would not fit into the cluster's objects anyway)`,
      "look for a range or repeat that prints far more than intended",
    ],
  }[overrun];
  return new RenderError(text[0] as string, {
    location: { file: request.shownChart },
    hint: `${text[1]}; if the chart really needs more, ask the operator to raise the limit`,
  });
}

/** Turns helm's stderr into one located message: helm names the template and line, we add the repository path. */
function helmFailure(request: HelmTemplateRequest, error: Error & { stderr?: string }): RenderError {
  const stderr = (error.stderr ?? "").trim();
  const firstError =
    stderr.split("\n").find((line) => line.startsWith("Error:")) ?? stderr.split("\n")[0] ?? error.message;
  const detail = (firstError || error.message)
    .replace(/^Error:\s*/, "")
    .replaceAll(request.chartDir, request.shownChart);
  const at = /\(([^():\s]+\/templates\/[^():\s]+):(\d+)(?::(\d+))?\)/.exec(detail);
  // helm names files from the chart's name ("api/templates/x.yaml"); the repository path starts at the chart directory.
  const file = at?.[1] ? path.join(request.shownChart, at[1].split("/").slice(1).join("/")) : request.shownChart;
  return new RenderError(`${request.box}: helm could not render the chart: ${detail}`, {
    location: { file, line: at?.[2] ? Number(at[2]) : undefined, column: at?.[3] ? Number(at[3]) : undefined },
    hint: `reproduce with: helm template ${request.release} ${request.shownChart}${request.valuesFile ? " --values <values file>" : ""}`,
    cause: error,
  });
}
