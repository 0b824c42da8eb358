import { Command, Option } from "commander";
import { addCiFlag } from "../ci-flags.js";
import { addSpecFlags, renderFromFlags, type SpecFlags } from "../context-flags.js";
import type { CliIo } from "../io.js";

export function renderCommand(io: CliIo): Command {
  const command = new Command("render")
    .summary("print the objects an environment spec renders to (no cluster needed)")
    .description(
      "Renders environment.toml to Kubernetes objects without touching a cluster. With --pr, --repo, " +
        "--branch and --sha (or --ci in a CI job, docs/ci.md) it renders in PR mode: exactly what the bot would deploy for that pull request " +
        "(the process environment is not a variable source there).",
    )
    .addOption(new Option("-o, --output <format>", "output format").choices(["yaml", "json"]).default("yaml"));
  addCiFlag(addSpecFlags(command), io).action(async (flags: SpecFlags & { output: "yaml" | "json" }) => {
    const rendered = await renderFromFlags(flags, io);
    const { renderJson, renderYaml } = await import("../render-output.js");
    io.stdout.write(flags.output === "json" ? renderJson(rendered) : renderYaml(rendered));
  });
  return command;
}
