/**
 * Regenerates the parts of docs/ that are taken from the code, so they cannot drift from it:
 * docs/configuration.md (whole, from the configuration schema) and the marked sections of
 * docs/environment-toml.md and docs/operations.md. `npm run docs` writes them;
 * test/config/docs.test.ts fails when a committed page differs from what this produces.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generatedDocs } from "./docs/pages.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const pages = await generatedDocs(root);
for (const [file, text] of pages) {
  const target = path.join(root, file);
  const before = await readFile(target, "utf8").catch(() => "");
  if (before === text) continue;
  await writeFile(target, text);
  console.log(`wrote ${file}`);
}
