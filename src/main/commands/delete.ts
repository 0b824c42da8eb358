import { Command } from "commander";
import { addCiFlag } from "../ci-flags.js";
import { addClusterFlags, checkResourceWord, connect, timeoutMs, type ClusterFlags } from "../cluster-flags.js";
import { addSpecFlags, prContext, setVariables, type SpecFlags } from "../context-flags.js";
import { UsageError, type CliIo } from "../io.js";

type DeleteFlags = ClusterFlags & SpecFlags & { timeout: string };

export function deleteCommand(io: CliIo): Command {
  const command = new Command("delete")
    .summary("delete an environment: its namespace and everything in it")
    .description(
      "Deletes an environment, named by its spec (-f, with the same context flags as render) or by its id " +
        "(prbox delete environment ID), and waits until its namespaces are gone. Namespaces prbox adopted " +
        "rather than created are kept; only prbox's objects in them are deleted.",
    )
    .argument("[environment]", "environment | environments | env")
    .argument("[id]", "the environment id")
    .option("--timeout <duration>", "how long to wait for the namespaces to disappear", "2m");
  addCiFlag(addClusterFlags(addSpecFlags(command, { fileRequired: false })), io).action(
    async (word: string | undefined, id: string | undefined, flags: DeleteFlags) => {
      checkResourceWord(word);
      const target = await environmentId(id, flags, io);
      const cluster = await connect(flags, io);
      const { deleteEnvironment } = await import("../../cluster/index.js");
      const result = await deleteEnvironment(cluster, target, { timeoutMs: timeoutMs(flags.timeout) });
      if (result.namespaces.length === 0 && result.released.length === 0 && result.objects.length === 0) {
        io.stdout.write(`environment ${target} does not exist; nothing to delete\n`);
        return;
      }
      const parts = [
        result.namespaces.length
          ? `deleted namespace${result.namespaces.length > 1 ? "s" : ""} ${result.namespaces.join(", ")}`
          : "",
        result.released.length
          ? `kept adopted namespace${result.released.length > 1 ? "s" : ""} ${result.released.join(", ")}`
          : "",
      ].filter(Boolean);
      io.stdout.write(`environment ${target}: ${parts.join("; ") || `deleted ${result.objects.length} objects`}\n`);
    },
  );
  return command;
}

async function environmentId(id: string | undefined, flags: DeleteFlags, io: CliIo): Promise<string> {
  if (id !== undefined && flags.file !== undefined)
    throw new UsageError("give either an environment id or -f, not both");
  if (id !== undefined) return id;
  if (flags.file === undefined)
    throw new UsageError("name the environment: prbox delete environment ID, or prbox delete -f environment.toml");
  const { loadSpec } = await import("../../spec/load.js");
  const spec = await loadSpec({
    file: flags.file,
    root: flags.root ?? io.cwd,
    pr: prContext(flags),
    set: await setVariables(flags),
    env: io.env,
  });
  return spec.environment.id;
}
