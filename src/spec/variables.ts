import { readFile } from "node:fs/promises";
import { parse as parseDotenv } from "dotenv";
import { SpecError, type SourceLocation } from "../errors.js";
import type { Mode } from "../model.js";
import type { VariableSource } from "./interpolate.js";

/**
 * Where a variable came from, lowest precedence first: later layers win.
 * `process` exists only in CLI mode: a pull request's spec must never read the bot's environment.
 */
export const LAYERS = ["file", "box-file", "process", "builtin", "set"] as const;
export type Layer = (typeof LAYERS)[number];

export class Variables implements VariableSource {
  private constructor(
    private readonly mode: Mode,
    private readonly layers: ReadonlyMap<Layer, ReadonlyMap<string, string>>,
  ) {}

  static empty(mode: Mode): Variables {
    return new Variables(mode, new Map());
  }

  /** A copy with `values` as layer `layer` (replacing what that layer had). */
  with(layer: Layer, values: Record<string, string | undefined> | ReadonlyMap<string, string>): Variables {
    if (layer === "process" && this.mode === "pr") return this;
    const entries = values instanceof Map ? [...values] : Object.entries(values);
    const defined = entries.filter((entry): entry is [string, string] => entry[1] !== undefined);
    return new Variables(this.mode, new Map(this.layers).set(layer, new Map(defined)));
  }

  get(name: string): string | undefined {
    for (let i = LAYERS.length - 1; i >= 0; i--) {
      const value = this.layers.get(LAYERS[i] as Layer)?.get(name);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  unknownHint(name: string): string {
    return this.mode === "pr"
      ? `in a pull request the spec may use its variables file, the PRBOX_* built-ins and the values the operator allows, never the bot's environment: define ${name} in the variables file or write \${${name}:-default}`
      : `define ${name} in the variables file, export it, pass --set ${name}=VALUE, or write \${${name}:-default}`;
  }
}

/** Reads a .env file with the dotenv parser (values are taken literally, no expansion). */
export async function readDotenv(file: string, location: SourceLocation): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new SpecError(`cannot read the variables file: ${(cause as Error).message}`, { location, cause });
  }
  return new Map(Object.entries(parseDotenv(text)));
}

/** Parses `KEY=VALUE` pairs from --set; a malformed one is a usage error. */
export function parseAssignments(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq > 0 ? pair.slice(0, eq) : "";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new SpecError(`--set ${pair}: expected KEY=VALUE with KEY a variable name`);
    }
    out[key] = pair.slice(eq + 1);
  }
  return out;
}
