/**
 * Prints `prbox --help` and every command's help as one JSON object. Run as a child process with
 * piped output (scripts/docs/cli.ts does), so commander wraps at its fixed default width and
 * prints no colours, whatever terminal `npm run docs` runs in.
 */
import { Writable } from "node:stream";
import { runCli } from "../../src/main/cli.js";

export const COMMANDS = ["render", "run", "get", "describe", "delete", "start", "server", "worker"] as const;

async function help(args: string[]): Promise<string> {
  let text = "";
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  await runCli(args, { stdout, stderr: stdout, env: {}, cwd: process.cwd() });
  return text;
}

const helps: Record<string, string> = { prbox: await help(["--help"]) };
for (const command of COMMANDS) helps[command] = await help([command, "--help"]);
process.stdout.write(JSON.stringify(helps));
