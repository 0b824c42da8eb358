import { readFile } from "node:fs/promises";
import path from "node:path";
import { gunzip } from "node:zlib";
import { promisify } from "node:util";
import { Parser, type ReadEntry } from "tar";
import { RenderError } from "../errors.js";
import { displayPath, type SourceTree } from "../spec/paths.js";

const gunzipAsync = promisify(gunzip);
/** Keys whose value helm's JSON Schema library loads as a document: a URL there is fetched or read. */
const REFERENCE_KEYS = ["$ref", "$dynamicRef", "$recursiveRef"];
/** Meta-schemas the library knows without loading them. */
const KNOWN_META_SCHEMA = /^https?:\/\/json-schema\.org\/(draft-0[3467]\/schema|draft\/(2019-09|2020-12)\/schema)#?$/;
const MAX_ARCHIVE = 64 * 1024 * 1024;
const MAX_ARCHIVE_DEPTH = 4;

/**
 * helm validates values against a chart's values.schema.json, and its JSON Schema library loads
 * every non-local `$ref` (http(s) from the worker's network position, cloud metadata included;
 * file:// from the worker's disk) and an unknown `$schema`. In a pull request a chart's schemas
 * may refer only inside themselves (`#/...`): checked in the chart's files and in the packaged
 * subcharts (charts/*.tgz) helm unpacks, at any depth.
 */
export async function assertLocalSchemas(tree: SourceTree, files: readonly string[], field: string): Promise<void> {
  for (const file of files) {
    const shown = displayPath(tree, file);
    if (path.basename(file) === "values.schema.json") checkSchema(await readFile(file, "utf8"), shown, field);
    else if (/\.t(ar\.)?gz$/.test(file) && path.basename(path.dirname(file)) === "charts")
      await checkArchive(await readFile(file), shown, field, 1);
  }
}

async function checkArchive(data: Buffer, shown: string, field: string, depth: number): Promise<void> {
  if (depth > MAX_ARCHIVE_DEPTH)
    throw refused(
      field,
      shown,
      `packaged subcharts nest deeper than ${MAX_ARCHIVE_DEPTH} levels`,
      "unpack the subcharts into charts/<name>/",
    );
  let tar: Buffer;
  try {
    tar = await gunzipAsync(data, { maxOutputLength: MAX_ARCHIVE });
  } catch {
    throw refused(
      field,
      shown,
      `is not a gzip-compressed chart archive of at most ${MAX_ARCHIVE / (1024 * 1024)} MiB`,
      "unpack the subchart into charts/<name>/",
    );
  }
  const entries = await tarEntries(tar);
  for (const entry of entries) {
    const inner = `${shown}!${entry.path}`;
    // Every JSON document is checked, whatever its name: tar readers may disagree about a name.
    if (entry.data[0] === 0x7b) checkSchema(entry.data.toString("utf8"), inner, field);
    else if (entry.data[0] === 0x1f && entry.data[1] === 0x8b) await checkArchive(entry.data, inner, field, depth + 1);
  }
}

function tarEntries(tar: Buffer): Promise<{ path: string; data: Buffer }[]> {
  return new Promise((resolve, reject) => {
    const entries: { path: string; data: Buffer }[] = [];
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        const chunks: Buffer[] = [];
        entry.on("data", (chunk: Buffer) => chunks.push(chunk));
        entry.on("end", () => entries.push({ path: entry.path, data: Buffer.concat(chunks) }));
      },
    });
    parser.on("error", reject);
    parser.on("end", () => resolve(entries));
    parser.end(tar);
  });
}

function checkSchema(text: string, shown: string, field: string): void {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    return; // not JSON: helm reports it as such, and loads nothing from it
  }
  const outside = findOutsideReference(schema);
  if (outside)
    throw refused(
      field,
      shown,
      `refers to ${JSON.stringify(outside.value)} (${outside.key}), outside the chart`,
      'inline the referenced schema into values.schema.json (under $defs) and refer to it as "#/$defs/..."',
    );
}

function findOutsideReference(node: unknown): { key: string; value: string } | null {
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== "object" || current === null) continue;
    if (Array.isArray(current)) {
      stack.push(...(current as unknown[]));
      continue;
    }
    for (const [key, value] of Object.entries(current)) {
      if (REFERENCE_KEYS.includes(key) && typeof value === "string" && !value.startsWith("#")) return { key, value };
      if (key === "$schema" && typeof value === "string" && !KNOWN_META_SCHEMA.test(value)) return { key, value };
      stack.push(value);
    }
  }
  return null;
}

function refused(field: string, shown: string, why: string, hint: string): RenderError {
  return new RenderError(`${field}: ${shown} ${why}; in a pull request a chart's schema may only refer inside itself`, {
    location: { file: shown.split("!")[0] as string },
    hint,
  });
}
