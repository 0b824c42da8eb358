import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export interface CommandResult {
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and times it; a non-zero exit throws with the end of its output. */
export function timed(
  bin: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(bin, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-8000)));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, stdout, stderr });
      else reject(new Error(`${bin} ${args.join(" ")} exited with ${String(code)}:\n${stderr.slice(-2000)}`));
    });
  });
}
