// vitest globalSetup: gives the tests a real Kubernetes API server.
//
// - KUBECONFIG set (and PRBOX_TEST_CLUSTER is not "start"): use that cluster as is;
//   nothing is started or stopped.
// - Otherwise: `scripts/test-cluster build` (instant when cached), then
//   `scripts/test-cluster start <tmpdir>`; teardown stops it and removes <tmpdir>.
//
// Tests read the path with `inject("kubeconfig")`. See docs/test-cluster.md.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { cleanUpIfKilled } from "./orphans.js";

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfig: string;
  }
}

type Teardown = () => Promise<void>;

function scriptPath(): string {
  return fileURLToPath(new URL("../../scripts/test-cluster", import.meta.url));
}

/** Runs scripts/test-cluster with args; returns its stdout. Its stderr goes to ours. */
function runScript(args: readonly string[], echoStdout: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(scriptPath(), [...args], { stdio: ["ignore", "pipe", "inherit"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (echoStdout) process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const out = Buffer.concat(chunks).toString("utf8");
      if (code === 0) resolve(out);
      else
        reject(
          new Error(
            `scripts/test-cluster ${args.join(" ")} failed (${signal ?? `exit ${String(code)}`}); see its messages above`,
          ),
        );
    });
  });
}

async function stopCluster(stateDir: string): Promise<void> {
  try {
    await runScript(["stop", stateDir], false);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

export default async function setup(project: TestProject): Promise<Teardown> {
  const given = process.env.KUBECONFIG;
  if (given !== undefined && given !== "" && process.env.PRBOX_TEST_CLUSTER !== "start") {
    project.provide("kubeconfig", given);
    return async () => {};
  }

  await runScript(["build"], true);
  const stateDir = await mkdtemp(join(tmpdir(), "prbox-cluster-"));
  let kubeconfig: string;
  try {
    const out = await runScript(["start", stateDir], false);
    kubeconfig = out.trim().split("\n").pop() ?? "";
    if (kubeconfig === "") throw new Error("scripts/test-cluster start printed no kubeconfig path");
    // Stops the control plane if vitest dies without this teardown.
    cleanUpIfKilled('[ -d "$2" ]', '"$1" stop "$2" >/dev/null 2>&1; rm -rf "$2"', [scriptPath(), stateDir]);
  } catch (error) {
    await stopCluster(stateDir).catch(() => {});
    throw error;
  }
  project.provide("kubeconfig", kubeconfig);
  return async () => {
    await stopCluster(stateDir);
  };
}
