import { readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { SpecError, type SourceLocation } from "../errors.js";

/** The directory tree a spec may read from: the checked-out sources. */
export interface SourceTree {
  /** Absolute, symlinks resolved. */
  root: string;
  /** Another repository's tree (a box's `repository`): its name, which prefixes its paths in messages. */
  repository?: string;
}

export async function sourceTree(root: string, repository?: string): Promise<SourceTree> {
  try {
    return { root: await realpath(root), ...(repository ? { repository } : {}) };
  } catch (cause) {
    throw new SpecError(`the sources directory ${root} does not exist`, { cause });
  }
}

/** `candidate` is `root` or below it. A name that merely starts with dots ("..a") is below it. */
export function inside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** `file` relative to the root, for messages (never leaks the machine's directory layout). */
export function displayPath(tree: SourceTree, file: string): string {
  const shown = inside(tree.root, file) ? path.relative(tree.root, file) || "." : file;
  return tree.repository ? `${tree.repository}:${shown}` : shown;
}

export interface PathRequest {
  /** The path as written (after interpolation). */
  value: string;
  /** Directory relative paths start from (the spec file's directory). */
  base: string;
  /** The field that holds it, e.g. `boxes[1].chart`. */
  field: string;
  location: SourceLocation;
  kind?: "file" | "directory" | "any";
}

/**
 * Resolves a path from the spec to a real file inside the sources. `..`, absolute paths
 * elsewhere and symlinks that lead out are errors, not reads: a pull request's spec must not
 * make the bot read its own files.
 */
export async function resolveInside(tree: SourceTree, request: PathRequest): Promise<string> {
  const wanted = path.resolve(request.base, request.value);
  const escape = () =>
    new SpecError(`${request.field} = "${request.value}" points outside the repository`, {
      location: request.location,
      hint: "paths must stay inside the repository: use a path relative to environment.toml or ${PWD}/...",
    });
  if (!inside(tree.root, wanted)) throw escape();
  let real: string;
  try {
    real = await realpath(wanted);
  } catch (cause) {
    throw new SpecError(`${request.field}: ${displayPath(tree, wanted)} does not exist`, {
      location: request.location,
      hint: "check the path; it is relative to the directory of environment.toml",
      cause,
    });
  }
  if (!inside(tree.root, real)) throw escape();
  await checkKind(real, tree, request);
  return real;
}

async function checkKind(real: string, tree: SourceTree, request: PathRequest): Promise<void> {
  const kind = request.kind ?? "any";
  if (kind === "any") return;
  const isDirectory = (await stat(real)).isDirectory();
  if (isDirectory === (kind === "directory")) return;
  throw new SpecError(`${request.field}: ${displayPath(tree, real)} is not a ${kind}`, {
    location: request.location,
  });
}

/**
 * Fails when any symlink below `dir` leads outside the sources, and returns every file below
 * it (as helm would reach them). helm follows links inside a chart, so a link to /etc/passwd in
 * a pull request's chart would otherwise be rendered; directory links are followed too, so a
 * chain (`chart/files -> ../other`, `other/secret -> /etc/passwd`) is caught at its second link.
 */
export async function assertNoEscapingLinks(tree: SourceTree, dir: string, field: string): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const walk = async (current: string): Promise<void> => {
    const real = await realpath(current);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const isDirectory = entry.isSymbolicLink() ? await linkedDirectory(tree, full, field) : entry.isDirectory();
      if (isDirectory) await walk(full);
      else if (entry.isFile() || entry.isSymbolicLink()) files.push(full);
    }
  };
  await walk(dir);
  return files;
}

/** Whether the link at `link` leads to a directory; an error when it leads out of the sources or nowhere. */
async function linkedDirectory(tree: SourceTree, link: string, field: string): Promise<boolean> {
  const target = await realpath(link).catch(() => null);
  if (target === null || !inside(tree.root, target)) {
    throw new SpecError(`${field}: ${displayPath(tree, link)} is a symlink that leads outside the repository`, {
      location: { file: displayPath(tree, link) },
      hint: "replace the link with the file itself",
    });
  }
  return (await stat(target)).isDirectory();
}
