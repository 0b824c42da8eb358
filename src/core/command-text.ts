import type { CommandName } from "./events.js";
import { MAX_EXTENSION_MS, parseExtension } from "./expiry.js";

/** A command as written in a comment: `/deploy 1a2b3c4` carries the commit a maintainer looked at. */
export interface ParsedCommand {
  name: CommandName;
  /** `/deploy <sha>`: 7 to 40 hex digits, lower case; absent when none was given. */
  sha?: string;
  /** `/extend <duration>`: in ms, when the duration is valid. */
  extendMs?: number;
  /** Why the command cannot run as written (`/extend` without a valid duration), for the reply. */
  invalid?: string;
}

/** A fence opens with three or more backticks or tildes, indented by at most three spaces (CommonMark). */
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
/** Indented by at most three spaces: four are an indented code block (or the continuation of a paragraph). */
const COMMAND = /^ {0,3}\/(reload|destroy|deploy|keep|extend|wake)(?=\s|$)(?:[ \t]+(\S+))?/;
const SHA = /^[0-9a-f]{7,40}$/i;

/**
 * The first command of a comment, or null. A command is `/reload`, `/destroy`, `/deploy`, `/keep`, `/extend` or `/wake` at
 * the start of a line as a reader sees it: text in code (fenced or indented blocks, inline code)
 * or in an HTML comment, which the forge does not show as written, does not count, so quoting a
 * command or hiding one never runs it.
 */
export function parseCommand(body: string): ParsedCommand | null {
  for (const line of visibleLines(body)) {
    const match = COMMAND.exec(line);
    if (!match) continue;
    const name = match[1] as CommandName;
    const argument = match[2];
    if (name === "extend") return extendCommand(argument);
    return name === "deploy" && argument !== undefined && SHA.test(argument)
      ? { name, sha: argument.toLowerCase() }
      : { name };
  }
  return null;
}

function extendCommand(argument: string | undefined): ParsedCommand {
  const ms = argument === undefined ? null : parseExtension(argument.toLowerCase());
  if (ms !== null && ms <= MAX_EXTENSION_MS) return { name: "extend", extendMs: ms };
  const what =
    argument === undefined
      ? "`/extend` needs a duration"
      : ms === null
        ? `\`${argument}\` is not a duration /extend takes`
        : `\`${argument}\` is longer than /extend allows`;
  return {
    name: "extend",
    invalid: `${what}: write minutes, hours or days, e.g. \`/extend 12h\` or \`/extend 3d\` (at most 30d).`,
  };
}

/** The lines of `body` outside fenced code blocks, with HTML comments taken out. */
function visibleLines(body: string): string[] {
  const lines: string[] = [];
  let fence: string | null = null;
  let inComment = false;
  for (const raw of body.split(/\r?\n/)) {
    if (fence !== null) {
      if (closesFence(raw, fence)) fence = null;
      continue;
    }
    let line = raw;
    if (inComment) {
      const end = line.indexOf("-->");
      if (end === -1) continue;
      line = line.slice(end + 3);
    }
    ({ line, inComment } = withoutComments(line));
    const opening = FENCE.exec(line);
    if (opening?.[1] && !inComment) {
      fence = opening[1];
      continue;
    }
    lines.push(line);
  }
  return lines;
}

/** A closing fence: the same character, at least as long, nothing after it but spaces. */
function closesFence(line: string, fence: string): boolean {
  const closing = FENCE.exec(line)?.[1];
  return closing !== undefined && closing[0] === fence[0] && closing.length >= fence.length && line.trim() === closing;
}

/** `line` with its complete HTML comments removed; an unclosed one cuts the line and goes on. */
function withoutComments(line: string): { line: string; inComment: boolean } {
  let rest = line.replace(/<!--[\s\S]*?-->/g, "");
  const open = rest.indexOf("<!--");
  if (open === -1) return { line: rest, inComment: false };
  rest = rest.slice(0, open);
  return { line: rest, inComment: true };
}
