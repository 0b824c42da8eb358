import { gzipSync } from "node:zlib";
import { Header, Pax, type HeaderData } from "tar";

/**
 * One tar entry, written exactly as given: tests need archives no well-behaved tool would write
 * (`../evil`, absolute paths, links to /etc/passwd, devices).
 */
export type TarEntry =
  | { path: string; content: string | Buffer; mode?: number }
  | { path: string; type: "Directory"; mode?: number }
  | { path: string; type: "SymbolicLink" | "Link"; linkpath: string }
  | { path: string; type: "CharacterDevice" | "BlockDevice" | "FIFO" };

const BLOCK = 512;
const mtime = new Date("2026-11-02T10:00:00Z");

function header(data: HeaderData): Buffer {
  const block = Buffer.alloc(BLOCK);
  new Header({ uid: 0, gid: 0, uname: "root", gname: "root", mtime, ...data }).encode(block, 0);
  return block;
}

function padded(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

function encode(entry: TarEntry): Buffer[] {
  if ("content" in entry) {
    const data = Buffer.from(entry.content);
    return [header({ path: entry.path, type: "File", mode: entry.mode ?? 0o644, size: data.length }), padded(data)];
  }
  if (entry.type === "Directory")
    return [header({ path: entry.path, type: "Directory", mode: entry.mode ?? 0o755, size: 0 })];
  if (entry.type === "SymbolicLink" || entry.type === "Link") {
    return [header({ path: entry.path, type: entry.type, linkpath: entry.linkpath, mode: 0o777, size: 0 })];
  }
  return [header({ path: entry.path, type: entry.type, mode: 0o644, size: 0, devmaj: 1, devmin: 3 })];
}

/** An uncompressed tar archive of `entries`, optionally led by a pax global header (as git archive writes). */
export function tar(entries: readonly TarEntry[], options: { comment?: string } = {}): Buffer {
  const blocks: Buffer[] = [];
  if (options.comment) blocks.push(new Pax({ comment: options.comment }, true).encode());
  for (const entry of entries) blocks.push(...encode(entry));
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

export function tarGz(entries: readonly TarEntry[], options: { comment?: string } = {}): Buffer {
  return gzipSync(tar(entries, options));
}

/**
 * What GitHub's codeload serves for `git archive`: a pax global header carrying the commit SHA,
 * then everything under one `<owner>-<repo>-<short sha>/` directory.
 */
export function githubArchive(repo: string, sha: string, entries: readonly TarEntry[]): Buffer {
  const top = `${repo.replace("/", "-")}-${sha.slice(0, 7)}`;
  const inside = entries.map((entry) => ({ ...entry, path: `${top}/${entry.path}` }));
  return tarGz([{ path: `${top}/`, type: "Directory" }, ...inside], { comment: sha });
}
