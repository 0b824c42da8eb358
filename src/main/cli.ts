import { Command, CommanderError } from "commander";
import { describeError, PrboxError, SpecError, RenderError } from "../errors.js";
import { deleteCommand } from "./commands/delete.js";
import { describeCommand } from "./commands/describe.js";
import { getCommand } from "./commands/get.js";
import { renderCommand } from "./commands/render.js";
import { runCommand } from "./commands/run.js";
import { serveCommand } from "./commands/serve.js";
import packageJson from "../../package.json" with { type: "json" };
import { EXIT, UsageError, type CliIo } from "./io.js";

// One version, package.json's: the bundle inlines it, so the CLI reads no file for --version.
const VERSION = packageJson.version;

function program(io: CliIo): Command {
  const root = new Command("prbox")
    .description("A Kubernetes preview environment for every pull request, from a k8sbox environment.toml.")
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  const commands = [
    renderCommand(io),
    runCommand(io),
    getCommand(io),
    describeCommand(io),
    deleteCommand(io),
    serveCommand("start", io),
    serveCommand("server", io),
    serveCommand("worker", io),
  ];
  for (const command of commands) {
    root.addCommand(
      command
        .exitOverride()
        .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) }),
    );
  }
  return root;
}

/** Exit status for an error: 2 for bad usage and invalid input, 1 for everything that failed on the way. */
export async function exitStatus(error: unknown): Promise<number> {
  if (error instanceof UsageError || error instanceof SpecError || error instanceof RenderError) return EXIT.usage;
  // Loaded on this path only: the configuration's schema (zod) is not part of --help, render or run.
  const { ConfigError } = await import("../config/config.js");
  return error instanceof ConfigError ? EXIT.usage : EXIT.failed;
}

/** Runs one CLI invocation and returns its exit status; never calls process.exit. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await program(io).parseAsync([...argv], { from: "user" });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return ["commander.helpDisplayed", "commander.version", "commander.help"].includes(error.code)
        ? EXIT.ok
        : EXIT.usage;
    }
    io.stderr.write(`error: ${describeError(error)}\n`);
    if (!(error instanceof PrboxError) && !(error instanceof UsageError))
      io.stderr.write(`${(error as Error).stack ?? ""}\n`);
    return await exitStatus(error);
  }
}
