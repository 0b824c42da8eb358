// A Dockerfile parser for the image's tests: instructions with their line numbers, line
// continuations, comments, exec form (a JSON array) and shell form, COPY/ADD flags, stages. It
// follows the Dockerfile reference (default escape character `\`; no parser directives are used).

export interface Instruction {
  keyword: string;
  /** The arguments as one string, continuations joined. */
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

export type CommandForm = { form: "exec"; argv: string[] } | { form: "shell"; script: string };

export interface CopySpec {
  flags: Record<string, string>;
  sources: string[];
  destination: string;
}

export interface Stage {
  image: string;
  name: string | null;
  index: number;
  instructions: Instruction[];
}

/** Splits a Dockerfile into instructions: `\` at a line's end continues it; comment lines are dropped, even inside a continuation. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { parts: string[]; line: number } | null = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith("#")) return;
    if (trimmed === "" && pending === null) return;
    const continues = /\\\s*$/.test(raw);
    const part = continues ? raw.replace(/\\\s*$/, "") : raw;
    pending ??= { parts: [], line: index + 1 };
    pending.parts.push(part);
    if (continues) return;
    const joined = pending.parts.join("").trim(); // Docker drops the escaped newline, nothing more
    const match = /^(\S+)\s*([\s\S]*)$/.exec(joined);
    if (match?.[1])
      instructions.push({ keyword: match[1].toUpperCase(), args: (match[2] ?? "").trim(), line: pending.line });
    pending = null;
  });
  if (pending !== null)
    throw new Error(`Dockerfile: the instruction at line ${(pending as { line: number }).line} ends in a continuation`);
  return instructions;
}

/** Exec form when the arguments are a JSON array of strings, shell form otherwise (as Docker decides). */
export function commandForm(args: string): CommandForm {
  if (args.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(args);
      if (Array.isArray(parsed) && parsed.every((a) => typeof a === "string"))
        return { form: "exec", argv: parsed as string[] };
    } catch {
      // Docker runs a malformed array in shell form too.
    }
  }
  return { form: "shell", script: args };
}

/** Leading `--name=value` flags, then the words of the rest (or the JSON array form). */
function splitFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest); m; m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags[m[1] ?? ""] = m[2] ?? "true";
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

export function parseCopy(args: string): CopySpec {
  const { flags, rest } = splitFlags(args);
  const form = commandForm(rest);
  const words = form.form === "exec" ? form.argv : rest.split(/\s+/).filter(Boolean);
  if (words.length < 2) throw new Error(`COPY/ADD needs a source and a destination: ${args}`);
  return { flags, sources: words.slice(0, -1), destination: words.at(-1) ?? "" };
}

export function stages(instructions: readonly Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const { rest } = splitFlags(instruction.args);
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!m?.[1]) throw new Error(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      out.push({ image: m[1], name: m[2] ?? null, index: out.length, instructions: [] });
    } else {
      const current = out.at(-1);
      if (!current) throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
      current.instructions.push(instruction);
    }
  }
  return out;
}

/** ENV in both forms: `KEY=value KEY2="v 2"` and the legacy `KEY value`. */
export function parseEnv(args: string): Record<string, string> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const [key, ...value] = args.split(/\s+/);
    return { [key ?? ""]: value.join(" ") };
  }
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = m[2] ?? "";
    out[m[1] ?? ""] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
  }
  return out;
}

/**
 * The simple commands of a shell script: split on `&&`, `||`, `;`, `|` and newlines, leading
 * `VAR=value` assignments taken apart. Quotes are respected; the scripts here use no subshells.
 */
export function simpleCommands(script: string): { assignments: Record<string, string>; argv: string[] }[] {
  const commands: { assignments: Record<string, string>; argv: string[] }[] = [];
  for (const piece of splitOutsideQuotes(script)) {
    const words = shellWords(piece);
    const assignments: Record<string, string> = {};
    while (words[0] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
      const [key, ...value] = (words.shift() ?? "").split("=");
      assignments[key ?? ""] = value.join("=");
    }
    if (words.length > 0) commands.push({ assignments, argv: words });
  }
  return commands;
}

function splitOutsideQuotes(script: string): string[] {
  const pieces: string[] = [];
  let current = "";
  let quote: string | null = null;
  for (let i = 0; i < script.length; i++) {
    const c = script[i] ?? "";
    if (quote) {
      if (c === quote) quote = null;
      current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      current += c;
    } else if (/[;|&\n]/.test(c)) {
      pieces.push(current);
      current = "";
      if ((c === "&" || c === "|") && script[i + 1] === c) i++;
    } else {
      current += c;
    }
  }
  pieces.push(current);
  return pieces.map((p) => p.trim()).filter(Boolean);
}

function shellWords(piece: string): string[] {
  return [...piece.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/** Docker's .dockerignore semantics: the last pattern that matches a path or one of its parents decides. */
export function dockerignore(text: string): (path: string) => boolean {
  const patterns = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const negated = l.startsWith("!");
      const body = (negated ? l.slice(1) : l).replace(/^\/+/, "").replace(/\/+$/, "");
      return { negated, regex: globToRegex(body) };
    });
  return (path) => {
    const parts = path.split("/");
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let excluded = false;
    for (const { negated, regex } of patterns) {
      if (candidates.some((c) => regex.test(c))) excluded = !negated;
    }
    return excluded;
  };
}

function globToRegex(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? "";
    if (c === "*" && glob[i + 1] === "*") {
      out += ".*";
      i++;
      if (glob[i + 1] === "/") i++;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}
