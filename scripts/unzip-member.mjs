#!/usr/bin/env node
// Extracts one file from a zip archive: `node scripts/unzip-member.mjs ARCHIVE MEMBER DEST`.
// The install scripts' last resort where neither unzip nor python3 exists (the slim Node image the
// Dockerfile builds in has only node): stored and deflated entries, no zip64, CRC checked.
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { crc32, inflateRawSync } from "node:zlib";

const [archive, member, dest] = process.argv.slice(2);
if (!archive || !member || !dest) {
  process.stderr.write("usage: unzip-member.mjs ARCHIVE MEMBER DEST\n");
  process.exit(2);
}
const zip = readFileSync(archive);

/** The End Of Central Directory record sits in the last 64 KiB + 22 bytes (after an optional comment). */
function endOfCentralDirectory() {
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 65_557); at--) {
    if (zip.readUInt32LE(at) === 0x06054b50)
      return { entries: zip.readUInt16LE(at + 10), offset: zip.readUInt32LE(at + 16) };
  }
  throw new Error(`${archive} is not a zip archive (no end of central directory record)`);
}

function findEntry() {
  const { entries, offset } = endOfCentralDirectory();
  let at = offset;
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${archive}: corrupt central directory at byte ${at}`);
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLength);
    const entry = {
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      localHeader: zip.readUInt32LE(at + 42),
    };
    if (name === member) return entry;
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  throw new Error(`${archive} has no member ${member}`);
}

function extract() {
  const entry = findEntry();
  const dataStart =
    entry.localHeader + 30 + zip.readUInt16LE(entry.localHeader + 26) + zip.readUInt16LE(entry.localHeader + 28);
  const raw = zip.subarray(dataStart, dataStart + entry.compressedSize);
  if (entry.method !== 0 && entry.method !== 8)
    throw new Error(`${member}: compression method ${entry.method} is not supported (only stored and deflate)`);
  const data = entry.method === 8 ? inflateRawSync(raw) : raw;
  if (crc32(data) !== entry.crc) throw new Error(`${member}: CRC mismatch, the archive is damaged`);
  writeFileSync(dest, data, { mode: 0o755 });
}

try {
  extract();
} catch (error) {
  process.stderr.write(`unzip-member: ${error.message}\n`);
  process.exit(1);
}
