import { Command, Option } from "commander";
import { stringify } from "yaml";
import type { RenderedEnvironment } from "../../model.js";
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
    io.stdout.write(flags.output === "json" ? renderJson(rendered) : renderYaml(rendered));
  });
  return command;
}

export function renderJson(rendered: RenderedEnvironment): string {
  const { id, name, namespace, url } = rendered.environment;
  return `${JSON.stringify({ environment: { id, name, namespace, url }, objects: rendered.objects.map((o) => o.object) }, null, 2)}\n`;
}

/** A multi-document stream `kubectl apply -f -` accepts; a comment names each object's source. */
export function renderYaml(rendered: RenderedEnvironment): string {
  return rendered.objects
    .map((o) => `---\n# Source: ${o.source} (box ${o.box}${o.phase === "main" ? "" : `, ${o.phase} hook`})\n${stringify(o.object, { lineWidth: 0 })}`)
    .join("");
}
