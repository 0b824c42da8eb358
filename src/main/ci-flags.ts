import type { Command } from "commander";
import { FORGE_NAMES } from "../core/forge.js";
import { CI_FIELDS, detectCi, readCiContext, type CiField } from "./ci-context.js";
import { UsageError, type CliIo } from "./io.js";

/**
 * --ci: PR mode with the context the CI job gives (GitHub Actions or GitLab CI), so a pipeline
 * deploys what the bot would for the same pull request. A context flag given on the command
 * line wins over the CI's variable for it.
 */
export function addCiFlag(command: Command, io: CliIo): Command {
  return command
    .option(
      "--ci",
      "PR mode from the CI job: --forge, --repo, --pr, --branch and --sha from GitHub Actions or GitLab CI variables (flags given win)",
    )
    .hook("preAction", async (self) => {
      if (self.getOptionValue("ci") !== true) return;
      const explicit = (field: CiField) => self.getOptionValueSource(field) === "cli";
      const forge = explicit("forge") ? (self.getOptionValue("forge") as string) : detectCi(io.env);
      const needed = CI_FIELDS.filter((field) => field !== "forge" && !explicit(field));
      if (forge === null) {
        if (needed.length === 0) return;
        throw new UsageError(
          '--ci: this is not a GitHub Actions or GitLab CI job (neither GITHUB_ACTIONS nor GITLAB_CI is "true"); ' +
            `run it in a pull request's pipeline, or give ${needed.map((f) => `--${f}`).join(", ")}`,
        );
      }
      if (forge !== "github" && forge !== "gitlab")
        throw new UsageError(`--forge ${forge}: expected ${FORGE_NAMES.join(" or ")}`);
      const context = await readCiContext(forge, io.env);
      const missing = needed.filter((field) => context.values[field] === undefined);
      if (missing.length > 0) {
        throw new UsageError(
          `--ci: this ${context.ci} job is not for a pull request (missing: ${missing.map((f) => context.missing[f]).join("; ")}); ` +
            `${context.hint}, or give ${missing.map((f) => `--${f}`).join(", ")}`,
        );
      }
      for (const field of needed) self.setOptionValueWithSource(field, context.values[field], "env");
      if (!explicit("forge")) self.setOptionValueWithSource("forge", forge, "env");
    });
}
