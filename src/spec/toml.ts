import { parse, TomlError } from "smol-toml";
import { SpecError, type SourceLocation } from "../errors.js";

/** A parsed TOML file that can still point at lines of its source for later errors. */
export interface TomlSource {
  file: string;
  text: string;
  data: Record<string, unknown>;
}

export function parseToml(file: string, text: string): TomlSource {
  try {
    return { file, text, data: parse(text) as Record<string, unknown> };
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const message = error.message.split("\n")[0] ?? "invalid TOML";
    throw new SpecError(`invalid TOML: ${message}`, {
      location: { file, line: error.line, column: error.column },
      hint: "fix the syntax at that line (strings need quotes, tables are [[boxes]])",
      cause: error,
    });
  }
}

type PathPart = string | number;

/**
 * The line of a key in the source, found from the table headers: `["boxes", 1, "chart"]` is
 * the first `chart =` after the second `[[boxes]]`. Good enough for messages; falls back to
 * the file alone for layouts it does not know (inline tables).
 */
export function locateKey(source: TomlSource, keyPath: readonly PathPart[]): SourceLocation {
  const { lines, headers } = indexOf(source);
  let cursor = 0;
  let table = "";
  const key = keyPath.at(-1);
  const parents = typeof key === "string" ? keyPath.slice(0, -1) : keyPath;
  for (const part of parents) {
    if (typeof part === "number") {
      const found = nthHeader(headers, cursor, `[[${table}]]`, part);
      if (found < 0) return { file: source.file };
      cursor = found + 1;
    } else {
      table = table ? `${table}.${part}` : part;
    }
  }
  if (typeof key !== "string") return { file: source.file, line: cursor };
  for (let i = cursor; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (new RegExp(`^\\s*${escape(key)}\\s*=`).test(line))
      return { file: source.file, line: i + 1, column: line.indexOf(key) + 1 };
    if (i > cursor && /^\s*\[/.test(line) && !line.includes(`[[${table}]]`)) break;
  }
  return tableHeader(source.file, lines, cursor, `[${table ? `${table}.` : ""}${key}]`);
}

/** A key that holds a table is a header of its own (`[id]`, `[boxes.chart]`), possibly further down. */
function tableHeader(file: string, lines: string[], from: number, header: string): SourceLocation {
  const at = lines.findIndex((line, i) => i >= from && line.trim().startsWith(header));
  return at < 0 ? { file } : { file, line: at + 1, column: (lines[at] ?? "").indexOf(header) + 1 };
}

/** A source's lines and where each table header is: built once, so locating is not quadratic in the boxes. */
interface SourceIndex {
  lines: string[];
  /** `[[boxes]]` → the indexes of the lines that start with it, ascending. */
  headers: Map<string, number[]>;
}

const indexes = new WeakMap<TomlSource, SourceIndex>();

function indexOf(source: TomlSource): SourceIndex {
  const known = indexes.get(source);
  if (known) return known;
  const lines = source.text.split(/\r?\n/);
  const headers = new Map<string, number[]>();
  lines.forEach((line, i) => {
    const header = /^(\[\[[^\]]*\]\]|\[[^\]]*\])/.exec(line.trim())?.[1];
    if (!header) return;
    const at = headers.get(header);
    if (at) at.push(i);
    else headers.set(header, [i]);
  });
  const index = { lines, headers };
  indexes.set(source, index);
  return index;
}

/** The line of the n-th (0-based) `header` at or after line `from`, or -1. */
function nthHeader(headers: Map<string, number[]>, from: number, header: string, n: number): number {
  const at = headers.get(header) ?? [];
  let low = 0;
  let high = at.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((at[mid] as number) < from) low = mid + 1;
    else high = mid;
  }
  return at[low + n] ?? -1;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The first place `needle` appears in the source (used for `${VAR}` references). */
export function locateText(source: { file: string; text: string }, needle: string): SourceLocation {
  const at = source.text.indexOf(needle);
  if (at < 0) return { file: source.file };
  const before = source.text.slice(0, at);
  const line = before.split("\n").length;
  return { file: source.file, line, column: at - before.lastIndexOf("\n") };
}
