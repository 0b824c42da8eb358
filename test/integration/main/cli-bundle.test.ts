import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../../support/cli.js";

// The installed CLI is the esbuild bundle in dist/ that bin/prbox.js runs (scripts/build.mjs).
// These tests build it, run the real bin with a preload that records every module the process
// loads, and check which files --help and render read: no Kubernetes client, Probot or BullMQ.

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");
const recorder = pathToFileURL(path.join(root, "test/support/record-loads.mjs")).href;
const example = ["-f", "fixtures/k8sbox-example/environment.toml"];

interface Metafile {
  outputs: Record<
    string,
    { inputs: Record<string, unknown>; imports: { path: string; kind: string }[]; entryPoint?: string }
  >;
}

let scratch = "";
let meta: Metafile = { outputs: {} };

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "prbox-bundle-"));
  await run(process.execPath, ["scripts/build.mjs", "--metafile", path.join(scratch, "meta.json")], {
    cwd: root,
    timeout: 120_000,
  });
  meta = JSON.parse(await readFile(path.join(scratch, "meta.json"), "utf8")) as Metafile;
}, 150_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The bundle's files (absolute paths) that hold any module of the npm package. */
function filesHolding(pkg: string): string[] {
  const marker = `node_modules/${pkg}/`;
  return Object.entries(meta.outputs)
    .filter(
      ([file, output]) => file.endsWith(".js") && Object.keys(output.inputs).some((input) => input.includes(marker)),
    )
    .map(([file]) => path.resolve(root, file));
}

/** The entry file and the chunks it imports statically: what start-up must read. */
function entryClosure(): string[] {
  const [entry] = Object.entries(meta.outputs).filter(([, output]) => output.entryPoint === "src/main/bin.ts");
  if (!entry) throw new Error("the metafile names no output for src/main/bin.ts");
  const statics = entry[1].imports
    .filter((i) => i.kind === "import-statement" && !i.path.startsWith("node:"))
    .map((i) => path.resolve(root, i.path));
  return [path.resolve(root, entry[0]), ...statics];
}

/** Runs bin/prbox.js as a user would and returns its output with the files it loaded. */
async function runBin(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ status: number; stdout: string; stderr: string; files: string[] }> {
  const log = path.join(scratch, `loads-${String(Date.now())}-${String(Math.random()).slice(2)}.txt`);
  await writeFile(log, "");
  const result = await run(process.execPath, ["--import", recorder, "bin/prbox.js", ...argv], {
    cwd: root,
    env: { PATH: process.env.PATH, PRBOX_TEST_LOADS: log, ...env },
  }).then(
    ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      status: error.code ?? -1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
    }),
  );
  const urls = (await readFile(log, "utf8")).split("\n").filter((u) => u.startsWith("file:"));
  return { ...result, files: urls.map((u) => new URL(u).pathname) };
}

const underPackage = (files: string[], pkg: string) => files.filter((f) => f.includes(`/node_modules/${pkg}/`));

describe("the bundled CLI (bin/prbox.js)", () => {
  it("puts the Kubernetes client in chunks of its own, outside the entry and its static imports", () => {
    const kubernetes = filesHolding("@kubernetes/client-node");
    expect(kubernetes.length).toBeGreaterThan(0);
    for (const file of entryClosure()) expect(kubernetes).not.toContain(file);
  });

  it("requires node:http instead of importing it as an ES module (its ES facade loads Node's undici: ~50 ms)", () => {
    const imports = Object.values(meta.outputs).flatMap((output) => output.imports);
    expect(imports.filter((i) => i.path === "node:http" && i.kind === "require-call").length).toBeGreaterThan(0);
    expect(imports.filter((i) => /^(node:)?http$/.test(i.path) && i.kind === "import-statement")).toEqual([]);
  });

  it("answers --help as the sources do, reading only the entry and its static imports", async () => {
    const bin = await runBin(["--help"]);
    const source = await cli(["--help"], { cwd: root });
    expect(bin.status).toBe(0);
    expect(bin.stdout).toBe(source.stdout);
    const fromDist = bin.files.filter((f) => f.startsWith(path.join(root, "dist/")));
    expect(fromDist.sort()).toEqual(entryClosure().sort());
    for (const file of filesHolding("@kubernetes/client-node")) expect(bin.files).not.toContain(file);
    for (const pkg of ["@kubernetes/client-node", "probot", "bullmq", "pino"])
      expect(underPackage(bin.files, pkg), pkg).toEqual([]);
  });

  it("renders the example as the sources do, without loading the Kubernetes client, Probot or BullMQ", async () => {
    for (const format of ["yaml", "json"]) {
      const bin = await runBin(["render", ...example, "-o", format]);
      const source = await cli(["render", ...example, "-o", format], { cwd: root });
      expect(bin.status, bin.stderr).toBe(0);
      expect(bin.stdout).toBe(source.stdout);
      expect(bin.stderr).toBe(source.stderr);
      for (const file of filesHolding("@kubernetes/client-node")) expect(bin.files).not.toContain(file);
      for (const pkg of ["@kubernetes/client-node", "probot", "bullmq"])
        expect(underPackage(bin.files, pkg), pkg).toEqual([]);
    }
  });

  it("loads the Kubernetes client for a verb that talks to the cluster (the recorder sees it)", async () => {
    // Nothing listens on port 1: the verb fails after loading the client, as connection refused.
    const kubeconfig = path.join(scratch, "kubeconfig.yaml");
    await writeFile(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
        "users: [{name: u, user: {token: t}}]",
        "contexts: [{name: x, context: {cluster: c, user: u}}]",
        "current-context: x",
      ].join("\n"),
    );
    const bin = await runBin(["get", "environments", "--kubeconfig", kubeconfig]);
    expect(bin.status).toBe(1);
    expect(bin.stderr).toContain("https://127.0.0.1:1");
    expect(bin.files.some((f) => filesHolding("@kubernetes/client-node").includes(f))).toBe(true);
  });
});
