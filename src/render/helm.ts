import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { RenderError } from "../errors.js";
import { helmEnvironment } from "./helm-binary.js";

const run = promisify(execFile);
const MAX_OUTPUT = 64 * 1024 * 1024;

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
  signal?: AbortSignal;
}

/** Runs the real `helm template` (no cluster access) and returns its YAML stream. */
export async function helmTemplate(request: HelmTemplateRequest): Promise<string> {
  const args = ["template", request.release, request.chartDir, "--namespace", request.namespace];
  if (request.valuesFile) args.push("--values", request.valuesFile);
  try {
    const { stdout } = await run(request.helm, args, {
      env: helmEnvironment(request.scratch),
      maxBuffer: MAX_OUTPUT,
      signal: request.signal,
    });
    return stdout;
  } catch (error) {
    throw helmFailure(request, error as Error & { stderr?: string; code?: unknown });
  }
}

/** Turns helm's stderr into one located message: helm names the template and line, we add the repository path. */
function helmFailure(request: HelmTemplateRequest, error: Error & { stderr?: string; code?: unknown }): RenderError {
  const stderr = (error.stderr ?? "").trim();
  const firstError = stderr.split("\n").find((line) => line.startsWith("Error:")) ?? stderr.split("\n")[0] ?? error.message;
  const detail = firstError.replace(/^Error:\s*/, "").replaceAll(request.chartDir, request.shownChart);
  const at = /\(([^():\s]+\/templates\/[^():\s]+):(\d+)(?::(\d+))?\)/.exec(detail);
  // helm names files from the chart's name ("api/templates/x.yaml"); the repository path starts at the chart directory.
  const file = at?.[1] ? path.join(request.shownChart, at[1].split("/").slice(1).join("/")) : request.shownChart;
  return new RenderError(`${request.box}: helm could not render the chart: ${detail}`, {
    location: { file, line: at?.[2] ? Number(at[2]) : undefined, column: at?.[3] ? Number(at[3]) : undefined },
    hint: `reproduce with: helm template ${request.release} ${request.shownChart}${request.valuesFile ? " --values <values file>" : ""}`,
    cause: error,
  });
}
