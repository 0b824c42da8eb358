#!/usr/bin/env node
// The installed entry point: runs the bundled CLI (npm's `prepare` builds dist/ on `npm ci`).

// First of all, before anything an older Node cannot run: one line instead of a stack trace from
// deep inside a dependency. The same minimum as package.json's "engines" (a test keeps them equal).
const NEEDED = [22, 19];
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < NEEDED[0] || (major === NEEDED[0] && minor < NEEDED[1])) {
  console.error(
    `prbox needs Node.js ${NEEDED.join(".")} or newer; this is Node.js ${process.versions.node} (${process.execPath}). Install a current Node.js from https://nodejs.org`,
  );
  process.exit(1);
}

const { existsSync } = await import("node:fs");
const { default: module } = await import("node:module");

// Node's on-disk cache of compiled code (in the OS temp directory): a cluster verb loads the
// Kubernetes client, whose compilation was most of `prbox run`'s start-up (docs/performance.md).
module.enableCompileCache?.();

// dist/prbox.js: what --help needs in one file; each verb imports its own chunks (docs/adr/0020-cli-start-up.md).
const entry = new URL("../dist/prbox.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("prbox: dist/ is missing; run `npm ci` (or `npm run build`) in the prbox directory first");
  process.exit(1);
}
await import(entry.href);
