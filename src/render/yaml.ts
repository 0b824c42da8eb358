import { readFile } from "node:fs/promises";
import { isPair, isScalar, LineCounter, parseAllDocuments, visit, type Document, type Scalar } from "yaml";
import { RenderError, SpecError, type SourceLocation } from "../errors.js";
import { interpolate, type VariableSource } from "../spec/interpolate.js";

/**
 * Reads a YAML file (values file or plain manifests), interpolating `${VAR}` in string scalars
 * at any depth. Types are kept: `replicas: 2` stays a number, and an unquoted `${REPLICAS}` that
 * expands to `3` becomes the number 3, as if it had been written there; quoted scalars stay strings.
 * (k8sbox turned every value into a string.)
 * Returns one plain JS value per YAML document (empty documents dropped).
 */
export async function readInterpolatedYaml(file: string, shown: string, vars: VariableSource): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new SpecError(`cannot read ${shown}: ${(cause as Error).message}`, { cause });
  }
  return interpolateYaml(text, shown, vars);
}

export function interpolateYaml(text: string, shown: string, vars: VariableSource): unknown[] {
  const lines = new LineCounter();
  // uniqueKeys: the library's own check is quadratic in a mapping's keys (a 40,000-key ConfigMap
  // took over a minute); assertUniqueKeys does the same check in linear time.
  const documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (!Array.isArray(documents)) return [];
  const values: unknown[] = [];
  for (const doc of documents) {
    const error = doc.errors[0];
    if (error) {
      const at = lines.linePos(error.pos[0]);
      throw new SpecError(`invalid YAML: ${error.message.split("\n")[0]}`, {
        location: { file: shown, line: at.line, column: at.col },
      });
    }
    const locate = (offset: number): SourceLocation => {
      const at = lines.linePos(offset);
      return { file: shown, line: at.line, column: at.col };
    };
    assertUniqueKeys(doc, shown, locate);
    interpolateDocument(doc, vars, locate);
    const value = documentValue(doc, shown);
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

/** Alias expansion is bounded (a "billion laughs" document); past the bound the file is named. */
const MAX_ALIAS_COUNT = 1000;

/** A document's plain value; an alias bomb is a located, permanent error rather than the library's bare ReferenceError. */
export function documentValue(doc: Document, shown: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    throw new RenderError(
      `${shown} expands its YAML aliases (*name) more than ${MAX_ALIAS_COUNT} times; a document like this is a resource exhaustion attack ("billion laughs")`,
      {
        location: { file: shown },
        hint: "write the repeated parts out, or use fewer aliases",
        cause: error,
      },
    );
  }
}

/** A key twice in one mapping is an error (as the YAML library would say), checked in linear time. */
export function assertUniqueKeys(
  doc: Document,
  shown: string,
  locate: (offset: number) => SourceLocation = () => ({ file: shown }),
): void {
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const offset = isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
        throw new SpecError(`invalid YAML: the key ${JSON.stringify(String(key))} appears twice in one mapping`, {
          location: locate(offset),
          hint: "remove one of them: which one would win is not defined",
        });
      }
    },
  });
}

function interpolateDocument(doc: Document, vars: VariableSource, locate: (offset: number) => SourceLocation): void {
  visit(doc, {
    Scalar(key, node, path) {
      if (key === "key" || typeof node.value !== "string") return;
      const field = fieldPath(path, key) || "(document)";
      const expanded = interpolate(node.value, vars, { field, locate: () => locate(node.range?.[0] ?? 0) });
      if (expanded === node.value) return;
      node.value = node.type === "PLAIN" ? retype(expanded) : expanded;
    },
  });
}

/**
 * What an unquoted scalar holding `text` would have been, for the forms that cannot surprise:
 * canonical numbers ("3", "0.5") and true/false. "0123456" (a short SHA) or "1e10" or "1.10" stay
 * strings: YAML would make numbers of them, which no one writing `tag: ${SHA}` wants.
 */
function retype(text: string): unknown {
  if (text === "true" || text === "false") return text === "true";
  const number = Number(text);
  return text !== "" && Number.isFinite(number) && String(number) === text ? number : text;
}

/** `image.tag` or `containers[0].image` for error messages. */
function fieldPath(path: readonly unknown[], key: number | "key" | "value" | null): string {
  const parts: string[] = [];
  for (const item of path) {
    if (isPair(item) && isScalar(item.key)) parts.push(String((item.key as Scalar).value));
  }
  const dotted = parts.join(".");
  return typeof key === "number" ? `${dotted}[${key}]` : dotted;
}
