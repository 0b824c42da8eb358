#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (npm's `prepare` builds dist/ on `npm ci`).
import { existsSync } from "node:fs";
import module from "node:module";

// Node's on-disk cache of compiled code (in the OS temp directory): a CLI run loads the Kubernetes
// client and its dependencies, whose compilation was most of `prbox run`'s start-up (docs/performance.md).
module.enableCompileCache?.();

const entry = new URL("../dist/main/bin.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("prbox: dist/ is missing; run `npm ci` (or `npm run build`) in the prbox directory first");
  process.exit(1);
}
await import(entry.href);
