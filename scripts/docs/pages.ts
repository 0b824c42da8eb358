import { readFile } from "node:fs/promises";
import path from "node:path";
import { cliReference } from "./cli.js";
import { configurationReference } from "./configuration.js";
import { replaceSection } from "./markdown.js";
import { metricsTable } from "./metrics.js";
import { builtinsTable, layersList, refusedKindsList } from "./spec.js";

/** Hand-written pages with generated sections: file → section name → its generator. */
const SECTIONS: Record<string, Record<string, () => string>> = {
  "docs/environment-toml.md": { layers: layersList, builtins: builtinsTable, "refused-kinds": refusedKindsList },
  "docs/operations.md": { metrics: metricsTable },
};

/** Every generated page as it should be committed, by path relative to the repository root. */
export async function generatedDocs(root: string): Promise<Map<string, string>> {
  const pages = new Map<string, string>([
    ["docs/configuration.md", configurationReference()],
    ["docs/cli.md", cliReference()],
  ]);
  for (const [file, sections] of Object.entries(SECTIONS)) {
    let text = await readFile(path.join(root, file), "utf8");
    for (const [name, generate] of Object.entries(sections)) text = replaceSection(text, name, generate(), file);
    pages.set(file, text);
  }
  return pages;
}
