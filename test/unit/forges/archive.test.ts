import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { Pax } from "tar";
import { afterEach, describe, expect, it } from "vitest";
import { PrboxError } from "../../../src/errors.js";
import { resolveArchiveLink } from "../../../src/forges/archive-links.js";
import { extractTarball } from "../../../src/forges/archive.js";
import { tar, tarGz, type TarEntry } from "./support/tarball.js";

/** A scratch directory holding only `dest/`: anything else appearing in it escaped extraction. */
interface Sandbox {
  root: string;
  dest: string;
}

const sandboxes: string[] = [];
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function sandbox(): Promise<Sandbox> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), "prbox-archive-")));
  sandboxes.push(root);
  const dest = path.join(root, "dest");
  await mkdir(dest);
  return { root, dest };
}

async function refusal(promise: Promise<unknown>): Promise<PrboxError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, "the archive was accepted").toBeInstanceOf(PrboxError);
  return error as PrboxError;
}

async function expectNothingOutside(box: Sandbox): Promise<void> {
  expect(await readdir(box.root)).toEqual(["dest"]);
}

const top = "acme-shop-0123456";
const under = (entries: TarEntry[]): TarEntry[] => [
  { path: `${top}/`, type: "Directory" },
  ...entries.map((entry) => ({ ...entry, path: `${top}/${entry.path}` })),
];

describe("extractTarball", () => {
  it("extracts files, directories and inside links with the first path component stripped", async () => {
    const box = await sandbox();
    const archive = tarGz(
      under([
        { path: "README.md", content: "# shop\n" },
        { path: "charts/api/", type: "Directory" },
        { path: "charts/api/Chart.yaml", content: "name: api\n" },
        { path: "bin/run", content: "#!/bin/sh\n", mode: 0o4755 },
        { path: "docs/readme", type: "SymbolicLink", linkpath: "../README.md" },
        { path: "current", type: "SymbolicLink", linkpath: "charts/api" },
      ]),
      { comment: "0123456789abcdef0123456789abcdef01234567" },
    );

    await extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 });

    expect((await readdir(box.dest)).sort()).toEqual(["README.md", "bin", "charts", "current", "docs"]);
    expect(await readFile(path.join(box.dest, "charts/api/Chart.yaml"), "utf8")).toBe("name: api\n");
    expect(await readFile(path.join(box.dest, "docs/readme"), "utf8")).toBe("# shop\n");
    expect(await readlink(path.join(box.dest, "current"))).toBe("charts/api");
    const mode = (await stat(path.join(box.dest, "bin/run"))).mode;
    expect(mode & 0o100, "the executable bit is kept").toBe(0o100);
    expect(mode & 0o4000, "the setuid bit is dropped").toBe(0);
    await expectNothingOutside(box);
  });

  // Found with the path properties of issue 6: "..config" was taken for a way out of the repository.
  it("keeps a link to a directory whose name starts with two dots", async () => {
    const box = await sandbox();
    const archive = tarGz(
      under([
        { path: "..config/", type: "Directory" },
        { path: "..config/values.yaml", content: "a: 1\n" },
        { path: "values", type: "SymbolicLink", linkpath: "..config" },
      ]),
    );

    await extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 });

    expect(await readFile(path.join(box.dest, "values/values.yaml"), "utf8")).toBe("a: 1\n");
    await expectNothingOutside(box);
  });

  it("reads a web ReadableStream as well as a Node stream", async () => {
    const box = await sandbox();
    const archive = tarGz(under([{ path: "a.txt", content: "a" }]));
    const web = new Response(archive).body as ReadableStream;

    await extractTarball(web, box.dest, { stripComponents: 1 });

    expect(await readFile(path.join(box.dest, "a.txt"), "utf8")).toBe("a");
  });

  it("refuses an entry that climbs out with '..'", async () => {
    const box = await sandbox();
    const archive = tarGz([{ path: "../evil", content: "pwned" }]);

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest));

    expect(error.kind).toBe("permanent");
    expect(error.message).toBe("the archive entry ../evil climbs out of the repository with '..'");
    await expectNothingOutside(box);
  });

  it("refuses '..' hidden below the stripped directory", async () => {
    const box = await sandbox();
    const archive = tarGz(
      under([
        { path: "ok.txt", content: "ok" },
        { path: "../../evil", content: "pwned" },
      ]),
    );

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 }));

    expect(error.message).toContain(`${top}/../../evil climbs out of the repository`);
    await expectNothingOutside(box);
  });

  it("refuses an absolute path and writes nothing there", async () => {
    const box = await sandbox();
    const target = path.join(box.root, `abs-evil-${randomBytes(4).toString("hex")}`);
    const archive = tarGz([{ path: target, content: "pwned" }]);

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest));

    expect(error.message).toBe(`the archive entry ${target} has an absolute path`);
    expect(existsSync(target)).toBe(false);
    await expectNothingOutside(box);
  });

  it("refuses a symbolic link to /etc/passwd and says how to fix it", async () => {
    const box = await sandbox();
    const archive = tarGz(under([{ path: "config/passwd", type: "SymbolicLink", linkpath: "/etc/passwd" }]));

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 }));

    expect(error.kind).toBe("permanent");
    expect(error.message).toBe("the symbolic link config/passwd points outside the repository (to /etc/passwd)");
    expect(error.hint).toContain("replace config/passwd with a copy");
    expect(existsSync(path.join(box.dest, "config/passwd"))).toBe(false);
  });

  it("refuses a relative link that climbs above the extraction directory", async () => {
    const box = await sandbox();
    const archive = tarGz(under([{ path: "up", type: "SymbolicLink", linkpath: "../../etc" }]));

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 }));

    expect(error.message).toBe("the symbolic link up points outside the repository (to ../../etc)");
  });

  it("judges links after stripping: one into the stripped directory leads out", async () => {
    const box = await sandbox();
    const archive = tarGz(under([{ path: "a", type: "SymbolicLink", linkpath: `../${top}/b` }]));

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 }));

    expect(error.message).toContain("the symbolic link a points outside the repository");
  });

  it("refuses a link that leads out only through another link", async () => {
    const box = await sandbox();
    const archive = tarGz(
      under([
        { path: "sub/", type: "Directory" },
        { path: "sub/up", type: "SymbolicLink", linkpath: ".." },
        { path: "sub/escape", type: "SymbolicLink", linkpath: "up/../outside" },
      ]),
    );

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 }));

    expect(error.message).toBe("the symbolic link sub/escape points outside the repository (to up/../outside)");
    expect(existsSync(path.join(box.dest, "sub/escape"))).toBe(false);
  });

  it("places entries as tar does when the archive was made with `tar -C dir .`", async () => {
    const box = await sandbox();
    const archive = tarGz([
      { path: "./", type: "Directory" },
      { path: "./sub/", type: "Directory" },
      { path: "./sub/up", type: "SymbolicLink", linkpath: ".." },
      { path: "./sub/escape", type: "SymbolicLink", linkpath: "../.." },
    ]);

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 }));

    expect(error.message).toBe("the symbolic link sub/escape points outside the repository (to ../..)");
    expect(await readlink(path.join(box.dest, "sub/up"))).toBe("..");
  });

  it("refuses an entry written through a symbolic link", async () => {
    const box = await sandbox();
    const archive = tarGz(
      under([
        { path: "sub/", type: "Directory" },
        { path: "link", type: "SymbolicLink", linkpath: "sub" },
        { path: "link/file", content: "x" },
      ]),
    );

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 }));

    expect(error.message).toBe(`the archive entry ${top}/link/file would be written through the symbolic link link`);
  });

  it("refuses a hard link", async () => {
    const box = await sandbox();
    const archive = tarGz(under([{ path: "passwd", type: "Link", linkpath: "/etc/passwd" }]));

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 }));

    expect(error.message).toBe(`the archive entry ${top}/passwd is a hard link, which prbox does not extract`);
    await expectNothingOutside(box);
    expect(await readdir(box.dest)).toEqual([]);
  });

  it.each(["CharacterDevice", "BlockDevice", "FIFO"] as const)("refuses a %s entry", async (type) => {
    const box = await sandbox();
    const archive = tarGz(under([{ path: "dev", type }]));

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 }));

    expect(error.message).toBe(`the archive entry ${top}/dev is a ${type} entry, which prbox does not extract`);
    expect(existsSync(path.join(box.dest, "dev"))).toBe(false);
  });

  it("refuses an archive over the size limit before writing the large file", async () => {
    const box = await sandbox();
    const archive = tarGz(
      under([
        { path: "small.txt", content: "s" },
        { path: "big.bin", content: Buffer.alloc(2 * 1024 * 1024) },
      ]),
    );

    const error = await refusal(
      extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1, maxBytes: 1024 * 1024 }),
    );

    expect(error.kind).toBe("permanent");
    expect(error.message).toBe("the archive holds more than 1 MiB of files");
    expect(error.hint).toContain("raise the archive limits");
    expect(existsSync(path.join(box.dest, "big.bin"))).toBe(false);
  });

  it("refuses an archive with too many entries", async () => {
    const box = await sandbox();
    const files = Array.from({ length: 20 }, (_, i) => ({ path: `f${i}`, content: "x" }));
    const archive = tarGz(under(files));

    const error = await refusal(
      extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1, maxEntries: 10 }),
    );

    expect(error.message).toBe("the archive has more than 10 entries");
    expect((await readdir(box.dest)).length).toBeLessThan(10);
  });

  it("refuses a decompression bomb by the bytes it expands to", async () => {
    const box = await sandbox();
    const bomb = gzipSync(Buffer.concat([tar(under([{ path: "a", content: "a" }])), Buffer.alloc(64 * 1024 * 1024)]));

    const error = await refusal(
      extractTarball(Readable.from([bomb]), box.dest, { stripComponents: 1, maxBytes: 1024 * 1024, maxEntries: 10 }),
    );

    expect(error.message).toMatch(/^the archive is larger than 2 MiB \(uncompressed\)$/);
  });

  it("extracts an archive with 64 MiB of zeros after its end, dropping them instead of buffering them (tar's buffering is quadratic)", async () => {
    const box = await sandbox();
    const padded = gzipSync(
      Buffer.concat([tar(under([{ path: "a.txt", content: "kept" }])), Buffer.alloc(64 * 1024 * 1024)]),
    );
    // Network-sized chunks: the quadratic cost grew with every chunk written after the end.
    const chunks = Array.from({ length: Math.ceil(padded.length / 16384) }, (_, i) =>
      padded.subarray(i * 16384, (i + 1) * 16384),
    );

    await extractTarball(Readable.from(chunks), box.dest, { stripComponents: 1 });

    expect(await readFile(path.join(box.dest, "a.txt"), "utf8")).toBe("kept");
  });

  it("calls a name too long for the file system permanent: a retry would fail the same way", async () => {
    const box = await sandbox();
    // A 300-character name needs a pax header (ustar names stop at 100); git archive writes them so.
    const head = tar(under([])).subarray(0, -1024);
    const longName = new Pax({ path: `${top}/${"n".repeat(300)}.txt` }, false).encode();
    const archive = gzipSync(Buffer.concat([head, longName, tar([{ path: `${top}/short.txt`, content: "x" }])]));

    const error = await refusal(extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 }));

    expect(error.kind).toBe("permanent");
    expect(error.message).toMatch(/ENAMETOOLONG|name too long/i);
  });

  it("calls a stream that is not gzip a permanent error", async () => {
    const box = await sandbox();

    const error = await refusal(extractTarball(Readable.from([Buffer.from("<html>not found</html>")]), box.dest));

    expect(error.kind).toBe("permanent");
    expect(error.message).toMatch(/^the archive is not a gzip-compressed tar file/);
  });

  it("calls a truncated archive transient: the download may have been cut short", async () => {
    const box = await sandbox();
    const archive = tarGz(under([{ path: "big.bin", content: randomBytes(64 * 1024) }]));

    const error = await refusal(extractTarball(Readable.from([archive.subarray(0, archive.length / 2)]), box.dest));

    expect(error.kind).toBe("transient");
  });

  it("calls a tar stream that ends in the middle of a file permanent", async () => {
    const box = await sandbox();
    const whole = tar(under([{ path: "big.bin", content: randomBytes(64 * 1024) }]));

    const error = await refusal(extractTarball(Readable.from([gzipSync(whole.subarray(0, 8 * 1024))]), box.dest));

    expect(error.kind).toBe("permanent");
    expect(error.message).toMatch(/^the archive could not be extracted: .*Truncated input/);
  });

  it("returns only once tar has finished writing, so dest can be removed at once", async () => {
    const box = await sandbox();
    const files = Array.from({ length: 200 }, (_, i) => ({ path: `d${i % 7}/f${i}`, content: randomBytes(4096) }));
    const archive = tarGz(under([...files, { path: "bad", type: "Link", linkpath: "d0/f0" }]));

    await refusal(extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 }));
    await rm(box.dest, { recursive: true });

    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readdir(box.root)).toEqual([]);
  });

  it("calls a failing download transient", async () => {
    const box = await sandbox();
    const archive = tarGz(under([{ path: "a", content: "a" }]));
    const source = new Readable({ read() {} });
    source.push(archive.subarray(0, 20));
    setImmediate(() => source.destroy(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })));

    const error = await refusal(extractTarball(source, box.dest));

    expect(error.kind).toBe("transient");
    expect(error.message).toBe("the download of the archive failed: socket hang up");
  });

  it("stops when its signal aborts", async () => {
    const box = await sandbox();
    const source = new Readable({ read() {} });
    const controller = new AbortController();
    setImmediate(() => controller.abort());

    const error = await refusal(extractTarball(source, box.dest, { signal: controller.signal }));

    expect(error.kind).toBe("transient");
    expect(error.message).toBe("extracting the sources was cancelled");
  });

  it("leaves no link pointing outside, whatever order the entries come in", async () => {
    const box = await sandbox();
    const archive = tarGz(
      under([
        { path: "a/", type: "Directory" },
        { path: "a/b/", type: "Directory" },
        { path: "x", type: "SymbolicLink", linkpath: "a/b/../../c" },
        { path: "c", content: "inside" },
      ]),
    );

    await extractTarball(Readable.from([archive]), box.dest, { stripComponents: 1 });

    expect(await readFile(path.join(box.dest, "x"), "utf8")).toBe("inside");
    expect((await lstat(path.join(box.dest, "x"))).isSymbolicLink()).toBe(true);
  });
});

describe("resolveArchiveLink", () => {
  const links = new Map([
    ["sub/up", ".."],
    ["loop", "loop"],
    ["current", "charts/api"],
  ]);

  it("follows links the way the file system will", () => {
    expect(resolveArchiveLink("current/values.yaml", links)).toBe("charts/api/values.yaml");
    expect(resolveArchiveLink("sub/up/README.md", links)).toBe("README.md");
  });

  it("answers undefined for paths that leave the root or loop", () => {
    expect(resolveArchiveLink("sub/up/../x", links)).toBeUndefined();
    expect(resolveArchiveLink("../x", links)).toBeUndefined();
    expect(resolveArchiveLink("loop/x", links)).toBeUndefined();
  });
});
