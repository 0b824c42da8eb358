import { Command, Option } from "commander";
import type { EnvironmentDescription } from "../../cluster/index.js";
import { PrboxError } from "../../errors.js";
import { addClusterFlags, checkResourceWord, connect, type ClusterFlags } from "../cluster-flags.js";
import type { CliIo } from "../io.js";
import { table } from "../../table.js";

export function describeCommand(io: CliIo): Command {
  const command = new Command("describe")
    .summary("show one environment: its record and the objects it owns")
    .argument("<environment>", "environment | environments | env")
    .argument("<id>", "the environment id (see prbox get environments)")
    .addOption(new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text"));
  addClusterFlags(command).action(async (word: string, id: string, flags: ClusterFlags & { output: string }) => {
    checkResourceWord(word);
    const cluster = await connect(flags, io);
    const { describeEnvironment } = await import("../../cluster/index.js");
    const description = await describeEnvironment(cluster, id);
    if (!description) {
      throw new PrboxError(`environment ${id} not found on ${cluster.server}`, {
        hint: "list the environments with: prbox get environments",
      });
    }
    io.stdout.write(flags.output === "json" ? `${JSON.stringify(description, null, 2)}\n` : describeText(description));
  });
  return command;
}

export function describeText({ record, objects }: EnvironmentDescription): string {
  const fields: [string, string | null][] = [
    ["ID", record.id],
    ["Name", record.name],
    ["Namespace", [record.namespace, ...record.extraNamespaces].join(", ")],
    ["Status", record.status],
    ["Repository", record.repo],
    ["Pull request", record.pr === null ? null : `#${record.pr}${record.forge ? ` (${record.forge})` : ""}`],
    ["Branch", record.branch],
    ["Commit", record.sha],
    ["URL", record.url],
    ["Boxes", record.boxes.join(", ")],
    ["Deployed at", record.deployedAt],
    ["Last error", record.lastError],
  ];
  const shown = fields.filter((f): f is [string, string] => f[1] !== null && f[1] !== "");
  const width = Math.max(...shown.map(([k]) => k.length)) + 1;
  const head = shown
    .map(([k, v]) => `${`${k}:`.padEnd(width)} ${v.replaceAll("\n", `\n${" ".repeat(width + 1)}`)}`)
    .join("\n");
  const rows = objects.map((o) => [o.kind, o.namespace ?? "-", o.name, o.readiness]);
  return `${head}\n\nObjects:\n${rows.length ? table(["KIND", "NAMESPACE", "NAME", "READY"], rows) : "  (none)\n"}`;
}
