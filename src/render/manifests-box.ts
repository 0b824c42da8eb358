import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { ResolvedBox } from "../spec/boxes.js";
import { displayPath, type SourceTree } from "../spec/paths.js";
import { toObjects, type SourcedObject } from "./objects.js";
import { readInterpolatedYaml } from "./yaml.js";

const MANIFEST = /\.(ya?ml|json)$/i;

/** Renders a manifests box: every YAML file of its chart and applications, string scalars interpolated. */
export async function renderManifestsBox(box: ResolvedBox, tree: SourceTree): Promise<SourcedObject[]> {
  const roots = [box.chart, ...box.applications.map((app) => app.file)].filter((p): p is string => p !== null);
  const files = (await Promise.all(roots.map(manifestFiles))).flat();
  const perFile = await Promise.all(
    [...new Set(files)].map(async (file) => {
      const shown = displayPath(tree, file);
      const documents = await readInterpolatedYaml(file, shown, box.vars);
      return documents.flatMap((doc) => toObjects(doc, shown).map((object) => ({ object, source: shown })));
    }),
  );
  return perFile.flat();
}

/** A file itself, or the YAML/JSON files directly in a directory, sorted (as `kubectl apply -f dir` reads them). */
async function manifestFiles(file: string): Promise<string[]> {
  if (!(await stat(file)).isDirectory()) return [file];
  const entries = await readdir(file, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && MANIFEST.test(e.name))
    .map((e) => path.join(file, e.name))
    .sort();
}
