// Paths inside a repository archive, and where its symbolic links lead: pure string work on the
// entries seen so far, so extraction can refuse an entry before tar writes it (archive.ts).
import path from "node:path";

const MAX_LINK_HOPS = 40;

/**
 * Where tar will put the entry, relative to dest (as tar strips: whole `/`-separated parts, `.`
 * included), or undefined for the stripped directories themselves.
 */
export function stripped(entryPath: string, strip: number): string | undefined {
  const parts = entryPath.split("/");
  if (parts.length < strip) return undefined;
  const rest = path.posix.normalize(parts.slice(strip).join("/")).replace(/\/+$/, "");
  return rest === "" || rest === "." ? undefined : rest;
}

export function dirOf(rel: string): string {
  const dir = path.posix.dirname(rel);
  return dir === "." ? "" : dir;
}

export function joinRel(dir: string, target: string): string {
  return dir === "" ? target : `${dir}/${target}`;
}

/**
 * Follows `rel` (relative to dest) through the symbolic links extracted so far, the way the
 * kernel will once they exist: the resolved path relative to dest, or undefined when it leaves
 * dest, meets an absolute link or loops.
 */
export function resolveArchiveLink(rel: string, links: ReadonlyMap<string, string>): string | undefined {
  const resolved: string[] = [];
  const pending = rel.split("/").reverse();
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (resolved.length === 0) return undefined;
      resolved.pop();
      continue;
    }
    resolved.push(part);
    const target = links.get(resolved.join("/"));
    if (target === undefined) continue;
    hops += 1;
    if (hops > MAX_LINK_HOPS || path.posix.isAbsolute(target)) return undefined;
    resolved.pop();
    pending.push(...target.split("/").reverse());
  }
  return resolved.join("/");
}
