import { Command, Option } from "commander";
import type { EnvironmentRecord } from "../../cluster/index.js";
import { addClusterFlags, checkResourceWord, connect, type ClusterFlags } from "../cluster-flags.js";
import type { CliIo } from "../io.js";
import { age, table } from "../../table.js";

export function getCommand(io: CliIo): Command {
  const command = new Command("get")
    .summary("list the environments prbox manages on the cluster")
    .argument("<environments>", "environments | environment | env")
    .option("-n, --namespace <namespace>", "only the environment in this namespace")
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json"]).default("table"));
  addClusterFlags(command).action(
    async (word: string, flags: ClusterFlags & { namespace?: string; output: string }) => {
      checkResourceWord(word);
      const cluster = await connect(flags, io);
      const { listEnvironments } = await import("../../cluster/index.js");
      const records = (await listEnvironments(cluster)).filter(
        (r) =>
          flags.namespace === undefined ||
          r.namespace === flags.namespace ||
          r.extraNamespaces.includes(flags.namespace),
      );
      io.stdout.write(
        flags.output === "json" ? `${JSON.stringify(records, null, 2)}\n` : environmentsTable(records, new Date()),
      );
    },
  );
  return command;
}

export function environmentsTable(records: readonly EnvironmentRecord[], now: Date): string {
  if (records.length === 0) return "No environments.\n";
  return table(
    ["ID", "NAMESPACE", "STATUS", "REPO", "PR", "SHA", "AGE", "URL"],
    records.map((r) => [
      r.id,
      r.namespace,
      r.status,
      r.repo ?? "-",
      r.pr === null ? "-" : String(r.pr),
      r.sha ? r.sha.slice(0, 7) : "-",
      r.deployedAt ? age(new Date(r.deployedAt), now) : "-",
      r.url ?? "-",
    ]),
  );
}
