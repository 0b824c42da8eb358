import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// bin/prbox.js checks Node's version before loading anything. An older Node is faked by a preload
// that overwrites process.versions.node (the value the check reads), and, where the machine has
// one, run for real.

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");
const bin = path.join(root, "bin/prbox.js");

function fakeVersion(version: string): string {
  return `data:text/javascript,Object.defineProperty(process.versions,"node",{value:${JSON.stringify(version)}})`;
}

async function runBin(node: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return run(node, args, { cwd: root, env: { PATH: process.env.PATH } }).then(
    ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      status: error.code ?? -1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
    }),
  );
}

/** /usr/bin/node when it is older than prbox needs (Debian's Node 20 on these machines). */
function oldSystemNode(): string | null {
  const node = "/usr/bin/node";
  if (!existsSync(node)) return null;
  const [major = 0, minor = 0] = execFileSync(node, ["-p", "process.versions.node"], { encoding: "utf8" })
    .trim()
    .split(".")
    .map(Number);
  return major < 22 || (major === 22 && minor < 19) ? node : null;
}

describe("bin/prbox.js on an older Node", () => {
  it.each(["20.11.1", "22.18.0", "18.20.4"])(
    "stops on Node %s with one line that names the version needed",
    async (version) => {
      const result = await runBin(process.execPath, ["--import", fakeVersion(version), bin, "--help"]);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        `prbox needs Node.js 22.19 or newer; this is Node.js ${version} (${process.execPath}). Install a current Node.js from https://nodejs.org\n`,
      );
    },
  );

  it.each(["22.19.0", "23.0.0", "24.21.0"])("runs on Node %s", async (version) => {
    const result = await runBin(process.execPath, ["--import", fakeVersion(version), bin, "--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: prbox");
  });

  it.skipIf(oldSystemNode() === null)(
    "stops the machine's own older Node with the same line, not a stack trace",
    async () => {
      const node = oldSystemNode() as string;
      const result = await runBin(node, [bin, "render", "-f", "fixtures/k8sbox-example/environment.toml"]);
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split("\n")).toEqual([
        expect.stringMatching(
          /^prbox needs Node\.js 22\.19 or newer; this is Node\.js \d+\.\d+\.\d+ \(\/usr\/bin\/node\)/,
        ),
      ]);
    },
  );

  it("checks the same minimum that package.json's engines field declares", () => {
    const needed = /^const NEEDED = \[(\d+), (\d+)\];$/m.exec(readFileSync(bin, "utf8"));
    const engines = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { engines: { node: string } })
      .engines.node;
    expect(needed, "bin/prbox.js declares const NEEDED = [major, minor]").not.toBeNull();
    expect(engines).toBe(`>=${needed?.[1]}.${needed?.[2]}`);
  });
});
