// Safe extraction of a forge's repository archive (.tar.gz) into a directory. GitHub and GitLab
// both serve one; a pull request controls its content, so every entry is checked before tar
// writes it: nothing may land outside `dest`, and nothing may point there.
import { realpath, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform, Writable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { createGunzip } from "node:zlib";
import { ReadEntry, Unpack } from "tar";
import { PrboxError } from "../errors.js";
import { dirOf, joinRel, resolveArchiveLink, stripped } from "./archive-links.js";

export interface ArchiveLimits {
  /** Total size of the files in the archive, uncompressed. */
  maxBytes: number;
  /** Files, directories and links together. */
  maxEntries: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = { maxBytes: 200 * 1024 * 1024, maxEntries: 50_000 };

export interface ExtractOptions extends Partial<ArchiveLimits> {
  /** Leading path components to drop (forge archives wrap everything in one `owner-repo-sha/`). */
  stripComponents?: number;
  signal?: AbortSignal;
}

/** Git writes only these; anything else in a repository archive is refused. */
const ALLOWED_TYPES = new Set(["File", "OldFile", "ContiguousFile", "Directory", "SymbolicLink"]);
const SIZE_HINT = "keep large files out of the repository, or ask the prbox operator to raise the archive limits";
const TAMPERED_HINT = "git never produces such an entry: the archive is not a plain git archive of the repository";

/**
 * Extracts a gzip-compressed tar stream into `dest`, an existing (empty) directory. Entries with
 * `..` or absolute paths, symbolic links that lead outside `dest`, hard links, devices and
 * archives over the limits are refused with a permanent PrboxError before the entry is written.
 * On failure `dest` may hold part of the archive; the caller discards it.
 */
export async function extractTarball(
  stream: ReadableStream | NodeJS.ReadableStream,
  dest: string,
  options: ExtractOptions = {},
): Promise<void> {
  // Listen before the first await: a download can fail while dest is being checked.
  const source = toNodeStream(stream);
  let sourceError: unknown;
  source.once("error", (error) => (sourceError ??= error));
  const limits: ArchiveLimits = {
    maxBytes: options.maxBytes ?? DEFAULT_ARCHIVE_LIMITS.maxBytes,
    maxEntries: options.maxEntries ?? DEFAULT_ARCHIVE_LIMITS.maxEntries,
  };
  const root = await existingDirectory(dest).catch((error: unknown) => {
    (source as Readable).destroy?.(); // release the download
    throw error;
  });
  const guard = new EntryGuard(limits, options.stripComponents ?? 0);
  const unpack = new Unpack({
    cwd: root,
    strip: options.stripComponents ?? 0,
    preserveOwner: false,
    filter: (_path, entry) => guard.admit(entry),
    onwarn: (code, message, data) => guard.onTarWarning(code, message, data),
  });
  const tar = tarSink(unpack, () => guard.refusal !== undefined);
  // Raw stream caps guard against decompression bombs (padding, huge metadata) the entry sizes miss.
  const streamCap = limits.maxBytes + limits.maxEntries * 2048 + 1024 * 1024;
  try {
    await pipeline(
      source,
      byteCap(streamCap, "compressed", guard),
      createGunzip(),
      byteCap(streamCap, "uncompressed", guard),
      tar.sink,
      { signal: options.signal },
    );
  } catch (error) {
    await tar.drain();
    throw guard.refusal ?? extractionFailure(error, error === sourceError);
  }
  if (guard.refusal) throw guard.refusal;
  await checkLinksStayInside(root, guard.links.keys());
}

const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Feeds the tar stream to `unpack`. tar writes files asynchronously: `drain` (after a failure)
 * and the sink's end both wait until it has finished every write it started, so no file appears
 * in dest after extractTarball returned and the caller may remove dest at once.
 */
function tarSink(unpack: Unpack, refused: () => boolean): { sink: Writable; drain: () => Promise<void> } {
  let failure: Error | undefined;
  let ended = false;
  // After the end-of-archive blocks tar keeps every further byte by concatenating it to what it
  // kept before (quadratic in the padding): what follows the end is dropped here instead.
  let archiveEnded = false;
  unpack.once("eof", () => (archiveEnded = true));
  const closed = new Promise<void>((resolve) => unpack.once("close", () => resolve()));
  const failed = new Promise<void>((resolve) =>
    unpack.on("error", (error: Error) => {
      failure ??= error;
      resolve();
    }),
  );
  const end = () => {
    if (!ended) unpack.end();
    ended = true;
  };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (failure || refused()) return callback(failure ?? new Error("refused"));
      if (archiveEnded) return callback();
      if (unpack.write(chunk)) return callback();
      const drained = new Promise((resolve) => unpack.once("drain", resolve));
      void Promise.race([drained, failed]).then(() => callback(failure ?? null));
    },
    final(callback) {
      end();
      void Promise.race([closed, failed]).then(() => callback(failure ?? null));
    },
  });
  const drain = async () => {
    end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)))]);
    clearTimeout(timer);
  };
  return { sink, drain };
}

async function existingDirectory(dest: string): Promise<string> {
  try {
    return await realpath(dest);
  } catch (cause) {
    throw new PrboxError(`cannot extract the sources: the directory ${dest} does not exist`, {
      kind: "internal",
      cause,
    });
  }
}

function toNodeStream(stream: ReadableStream | NodeJS.ReadableStream): NodeJS.ReadableStream {
  if ("getReader" in stream) return Readable.fromWeb(stream as WebReadableStream<Uint8Array>);
  return stream;
}

function mib(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/**
 * Decides, entry by entry and before tar writes anything, whether the archive is acceptable.
 * The first refusal is kept (tar may report follow-up errors), every later entry is skipped and
 * the sink stops taking input.
 */
class EntryGuard {
  refusal: PrboxError | undefined;
  /** Symbolic links extracted so far: path relative to dest → target as written. */
  readonly links = new Map<string, string>();
  private entries = 0;
  private bytes = 0;

  constructor(
    private readonly limits: ArchiveLimits,
    private readonly strip: number,
  ) {}

  admit(entry: unknown): boolean {
    if (this.refusal || !(entry instanceof ReadEntry)) return false;
    const problem = this.check(entry);
    if (problem) {
      this.refusal = problem;
      return false;
    }
    // setuid/setgid/sticky bits have no business in a preview's sources.
    if (typeof entry.mode === "number") entry.mode &= 0o777;
    return true;
  }

  onTarWarning(code: string, message: string, data: { code?: string }): void {
    if (code === "TAR_ENTRY_INFO" || this.refusal) return;
    // A system error such as ENOSPC or EIO while writing is the host's trouble, not the archive's;
    // ENAMETOOLONG, ELOOP, ENOTDIR and the like are the archive's and would fail again.
    const kind = isHostTrouble(data.code) ? "transient" : "permanent";
    this.refusal = new PrboxError(`the archive could not be extracted: ${message}`, { kind });
  }

  private check(entry: ReadEntry): PrboxError | undefined {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      return new PrboxError(`the archive has more than ${this.limits.maxEntries} entries`, { hint: SIZE_HINT });
    }
    if (!ALLOWED_TYPES.has(entry.type)) return unsupportedType(entry);
    const problem = checkPath(entry.path);
    if (problem) return problem;
    this.bytes += entry.size;
    if (this.bytes > this.limits.maxBytes) {
      return new PrboxError(`the archive holds more than ${mib(this.limits.maxBytes)} of files`, { hint: SIZE_HINT });
    }
    const rel = stripped(entry.path, this.strip);
    if (rel === undefined) return undefined;
    return this.checkAgainstLinks(entry, rel);
  }

  private checkAgainstLinks(entry: ReadEntry, rel: string): PrboxError | undefined {
    const through = this.linkAbove(rel);
    if (through !== undefined) {
      return new PrboxError(`the archive entry ${entry.path} would be written through the symbolic link ${through}`, {
        hint: TAMPERED_HINT,
      });
    }
    if (entry.type !== "SymbolicLink") {
      this.links.delete(rel);
      return undefined;
    }
    const target = entry.linkpath ?? "";
    if (
      path.posix.isAbsolute(target) ||
      path.win32.isAbsolute(target) ||
      resolveArchiveLink(joinRel(dirOf(rel), target), this.links) === undefined
    ) {
      return linkOutside(rel, target);
    }
    this.links.set(rel, target);
    return undefined;
  }

  /** The nearest symbolic link among the parent directories of `rel`, if any. */
  private linkAbove(rel: string): string | undefined {
    if (this.links.size === 0) return undefined;
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (this.links.has(prefix)) return prefix;
    }
    return undefined;
  }
}

function unsupportedType(entry: ReadEntry): PrboxError {
  const what = entry.type === "Link" ? "a hard link" : `a ${entry.type} entry`;
  return new PrboxError(`the archive entry ${entry.path} is ${what}, which prbox does not extract`, {
    hint: TAMPERED_HINT,
  });
}

function checkPath(entryPath: string): PrboxError | undefined {
  if (path.posix.isAbsolute(entryPath) || path.win32.isAbsolute(entryPath)) {
    return new PrboxError(`the archive entry ${entryPath} has an absolute path`, { hint: TAMPERED_HINT });
  }
  if (entryPath.split(/[\\/]/).includes("..")) {
    return new PrboxError(`the archive entry ${entryPath} climbs out of the repository with '..'`, {
      hint: TAMPERED_HINT,
    });
  }
  return undefined;
}

function linkOutside(rel: string, target: string): PrboxError {
  return new PrboxError(`the symbolic link ${rel} points outside the repository (to ${target})`, {
    hint: `replace ${rel} with a copy of what it points to, or make it a relative link to a file inside the repository`,
  });
}

/**
 * The ground truth after extraction: every link that resolves on disk must resolve inside dest.
 * The per-entry check already covers links made by the archive; this also covers what only the
 * file system knows (case-insensitive names, an entry that replaced a directory with a link).
 */
async function checkLinksStayInside(root: string, links: Iterable<string>): Promise<void> {
  for (const rel of links) {
    const link = path.join(root, rel);
    let real: string;
    try {
      real = await realpath(link);
    } catch {
      continue; // dangling or replaced: nothing can be read through it
    }
    const fromRoot = path.relative(root, real);
    // `..` or `../x` leads out; a name that merely starts with dots ("..config") does not.
    if (fromRoot === ".." || fromRoot.startsWith(`..${path.sep}`) || path.isAbsolute(fromRoot)) {
      await unlink(link).catch(() => {});
      throw linkOutside(rel, real);
    }
  }
}

/** Fails the stream once more than `cap` bytes went through it. */
function byteCap(cap: number, what: string, guard: EntryGuard): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen <= cap) return callback(null, chunk);
      guard.refusal ??= new PrboxError(`the archive is larger than ${mib(cap)} (${what})`, { hint: SIZE_HINT });
      callback(new Error("refused"));
    },
  });
}

function errorCode(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}

/** Why the pipeline failed when no entry was refused: cancelled, download broken, or not a .tar.gz. */
function extractionFailure(error: unknown, fromSource: boolean): PrboxError {
  if (error instanceof PrboxError) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new PrboxError("extracting the sources was cancelled", { kind: "transient", cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  const code = errorCode(error);
  if (fromSource)
    return new PrboxError(`the download of the archive failed: ${reason}`, { kind: "transient", cause: error });
  // A truncated gzip stream is most often a download cut short: worth another try.
  if (code === "Z_BUF_ERROR")
    return new PrboxError("the archive ended early (truncated download)", { kind: "transient", cause: error });
  if (code?.startsWith("Z_"))
    return new PrboxError(`the archive is not a gzip-compressed tar file: ${reason}`, { cause: error });
  return new PrboxError(`the archive could not be extracted: ${reason}`, {
    kind: isHostTrouble(code) ? "transient" : "permanent",
    cause: error,
  });
}

/** System errors that say the host is short of something (space, descriptors, memory) or its disk failed: worth a retry. */
const HOST_TROUBLE = new Set([
  "ENOSPC",
  "EDQUOT",
  "EIO",
  "EMFILE",
  "ENFILE",
  "ENOMEM",
  "EAGAIN",
  "EBUSY",
  "ETIMEDOUT",
  "EINTR",
]);

function isHostTrouble(code: unknown): boolean {
  return typeof code === "string" && HOST_TROUBLE.has(code);
}
