import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import type { CliIo } from "../io.js";
import type { Stoppable } from "../server.js";

type Role = "start" | "server" | "worker";

const SUMMARIES: Record<Role, string> = {
  start: "run the webhook server and the worker in one process (the default way to run prbox)",
  server: "run only the webhook server (scale it separately from the workers)",
  worker: "run only the reconcile worker",
};

/** `prbox start | server | worker`: long-running; stops gracefully on SIGTERM or SIGINT. */
export function serveCommand(role: Role, io: CliIo): Command {
  return new Command(role)
    .summary(SUMMARIES[role])
    .description(`${SUMMARIES[role]}. Configuration comes from environment variables (see .env.example).`)
    .action(async () => {
      // Loaded here, not at the top: Probot, BullMQ and prom-client take about a second to load,
      // which `prbox run`, `render` and `--help` need not pay (docs/adr/0020-cli-start-up.md).
      const [
        { loadConfig },
        { createLogger },
        { startDevRedis },
        { createRuntime },
        { startOperationalServer, startServer },
        { startWorker },
      ] = await Promise.all([
        import("../../config/config.js"),
        import("../../log.js"),
        import("../dev-redis.js"),
        import("../runtime.js"),
        import("../server.js"),
        import("../worker.js"),
      ]);
      const env = await withDotenv(io);
      const config = loadConfig(env);
      const log = createLogger({ level: config.logLevel });
      const devRedis = await startDevRedis(config, log);
      const rt = await createRuntime(config, log, env as NodeJS.ProcessEnv);
      const parts: Stoppable[] = [];
      if (role !== "worker") parts.push(await startServer(rt));
      if (role !== "server") parts.push(await startWorker(rt));
      // The worker alone still answers probes and scrapes; stopped last, after its jobs drained.
      if (role === "worker") parts.push(await startOperationalServer(rt));
      await untilSignal();
      log.info({}, "stopping: finishing the jobs that are running");
      for (const part of parts) await part.stop();
      await rt.close();
      devRedis?.kill("SIGTERM");
      log.info({}, "stopped");
    });
}

/**
 * The working directory's .env (where Probot's setup flow writes the app's credentials) under the
 * real environment: a variable set in the environment wins over the file.
 */
async function withDotenv(io: CliIo): Promise<Record<string, string | undefined>> {
  const { parse: parseDotenv } = await import("dotenv");
  const file = path.join(io.cwd, ".env");
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...io.env };
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGTERM", done);
      process.off("SIGINT", done);
      resolve();
    };
    process.once("SIGTERM", done);
    process.once("SIGINT", done);
  });
}
