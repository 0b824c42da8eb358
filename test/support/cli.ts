import { Writable } from "node:stream";
import { runCli } from "../../src/main/cli.js";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in-process with its own streams, environment and working directory. */
export async function cli(
  argv: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const status = await runCli(argv, { stdout, stderr, env: options.env ?? {}, cwd: options.cwd });
  return { status, stdout: stdout.text, stderr: stderr.text };
}
