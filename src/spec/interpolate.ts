import { SpecError, type SourceLocation } from "../errors.js";

/** Where a string being interpolated comes from, for error messages. */
export interface Origin {
  /** The field, e.g. `boxes[0].values` or `image.tag`. */
  field: string;
  /** Finds the reference ("${FOO}") in its file; returns at least the file. */
  locate(reference: string): SourceLocation;
}

/** The variables a string may use. */
export interface VariableSource {
  get(name: string): string | undefined;
  /** What to do about a variable that is not defined (differs between CLI and PR mode). */
  unknownHint(name: string): string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
/** Defaults inside defaults deeper than this are refused: a spec is untrusted, the stack is not endless. */
export const MAX_DEFAULT_NESTING = 16;

/**
 * Expands `${VAR}`, `$VAR`, `${VAR:-default}` (default when unset or empty; the default may
 * itself hold references) and `$$` (a literal `$`). A `$` followed by anything else stays as
 * it is. An unknown variable is an error naming the variable and the field, never "".
 */
export function interpolate(text: string, vars: VariableSource, origin: Origin): string {
  return expand(text, vars, origin, 0);
}

function expand(text: string, vars: VariableSource, origin: Origin, depth: number): string {
  if (!text.includes("$")) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0) return out + text.slice(i);
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === "$") {
      out += "$";
      i = dollar + 2;
    } else if (next === "{") {
      const end = closingBrace(text, dollar + 2);
      if (end < 0) throw badReference(text.slice(dollar), origin, "it has no closing `}`");
      out += expandBraced(text.slice(dollar, end + 1), vars, origin, depth);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      out += name ? lookup(name, `$${name}`, vars, origin) : "$";
      i = dollar + 1 + (name?.length ?? 0);
    }
  }
  return out;
}

/**
 * The index of the `}` closing a `${` whose body starts at `from`, honouring nested `${...}`.
 * `$$` is skipped as a pair: in `${A:-$${B}` the escaped dollar opens nothing.
 */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "$") {
      i++;
    } else if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}" && --depth === 0) {
      return i;
    }
  }
  return -1;
}

function expandBraced(reference: string, vars: VariableSource, origin: Origin, depth: number): string {
  const body = reference.slice(2, -1);
  const name = NAME.exec(body)?.[0];
  if (!name) throw badReference(reference, origin, "a variable name starts with a letter or `_`");
  const rest = body.slice(name.length);
  if (rest === "") return lookup(name, reference, vars, origin);
  if (!rest.startsWith(":-")) {
    throw badReference(reference, origin, "only `${NAME}` and `${NAME:-default}` are supported");
  }
  const value = vars.get(name);
  if (value !== undefined && value !== "") return value;
  if (depth >= MAX_DEFAULT_NESTING)
    throw badReference(reference, origin, `defaults nest deeper than ${MAX_DEFAULT_NESTING} levels`);
  return expand(rest.slice(2), vars, origin, depth + 1);
}

function lookup(name: string, reference: string, vars: VariableSource, origin: Origin): string {
  const value = vars.get(name);
  if (value !== undefined) return value;
  throw new SpecError(`unknown variable ${reference} in ${origin.field}`, {
    location: origin.locate(reference),
    hint: vars.unknownHint(name),
  });
}

function badReference(reference: string, origin: Origin, why: string): SpecError {
  // The reference may be the rest of a long string: the message shows its start, `locate` gets all of it.
  const shown = reference.length > 60 ? `${reference.slice(0, 59)}…` : reference;
  return new SpecError(`invalid variable reference ${shown} in ${origin.field}: ${why}`, {
    location: origin.locate(reference),
    hint: "write `$$` for a literal dollar sign",
  });
}

/** The variables `text` refers to, found by the same parser that expands them (so `$$X` is no reference). */
export function referencedVariables(text: string): Set<string> {
  const names = new Set<string>();
  const recorder: VariableSource = {
    get: (name) => {
      names.add(name);
      return "";
    },
    unknownHint: () => "",
  };
  interpolate(text, recorder, { field: "", locate: () => ({ file: "" }) });
  return names;
}
