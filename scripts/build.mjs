// `npm run build` (and `prepare`): bundles the CLI with esbuild into dist/, the code bin/prbox.js
// runs. One file holds what `prbox --help` needs; each verb's own code (the spec reader and helm
// renderer, the Kubernetes client, the server and worker) is a chunk loaded by the verb's dynamic
// import, so a verb reads only its chunks (docs/adr/0020-cli-start-up.md). Types are checked by
// `npm run typecheck`, not here.
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { build } from "esbuild";

const ROOT = path.resolve(import.meta.dirname, "..");
const OUTDIR = "dist";
const ENTRY = "prbox";

/**
 * Left in node_modules and imported from there: the server's dependencies, which read their own
 * files at run time (BullMQ its Lua scripts, pino its transports' worker files) or are loaded only
 * by `start`, `server` and `worker`. Everything else (commander, the spec and render libraries, the
 * Kubernetes client) is bundled.
 */
const EXTERNAL = [
  "probot",
  "@probot/get-private-key",
  "bullmq",
  "ioredis",
  "prom-client",
  "pino",
  "pino-pretty",
  "@gitbeaker/rest",
  "@gitbeaker/requester-utils",
  "bottleneck",
];

// Bundled CommonJS packages call require() for Node's built-ins; an ES module has no require of
// its own, so every output file gets one.
const BANNER =
  'import { createRequire as __prboxCreateRequire } from "node:module"; const require = __prboxCreateRequire(import.meta.url);';

/**
 * `import ... from "node:http"` costs about 50 ms on Node 24, `require("node:http")` about 5 ms:
 * importing a built-in as an ES module builds its ES facade, which reads every export, and
 * `http.WebSocket` and its siblings are getters that load Node's own undici. The bundled
 * Kubernetes client imports node:http as an ES module, so every such import is served by a
 * one-line CommonJS module that requires it (about 20 ms less to load the client; doing the same
 * for every built-in measured no better).
 */
const requireHttp = {
  name: "require-node-http",
  setup(build) {
    build.onResolve({ filter: /^(node:)?http$/ }, (args) =>
      args.namespace === "require-node-http" || args.kind !== "import-statement"
        ? undefined
        : { path: "node:http", namespace: "require-node-http" },
    );
    build.onLoad({ filter: /.*/, namespace: "require-node-http" }, () => ({
      contents: 'module.exports = require("node:http");',
      loader: "js",
    }));
  },
};

async function buildCli() {
  const outdir = path.join(ROOT, OUTDIR);
  await rm(outdir, { recursive: true, force: true });
  return build({
    absWorkingDir: ROOT,
    entryPoints: { [ENTRY]: "src/main/bin.ts" },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22.19",
    chunkNames: "chunks/[name]-[hash]",
    external: EXTERNAL,
    banner: { js: BANNER },
    sourcemap: "linked",
    metafile: true,
    logLevel: "warning",
    plugins: [requireHttp],
  });
}

// `--metafile FILE` also writes esbuild's account of which inputs went into which output file
// (test/main/cli-bundle.test.ts reads it to tell which files hold the Kubernetes client).
const result = await buildCli();
const metafile = process.argv.indexOf("--metafile");
if (metafile > 0) await writeFile(process.argv[metafile + 1] ?? "", JSON.stringify(result.metafile));
