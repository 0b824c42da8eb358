/** What a CLI run reads and writes: the process's by default, a test's own otherwise. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Exit statuses (docs/cli.md). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A usage mistake (bad flag value, missing argument): exit status 2. */
export class UsageError extends Error {}
