import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    helm: string;
  }
}

/** Installs (once, cached) the pinned helm binary and hands its path to every test file. */
export default async function setup(project: TestProject): Promise<void> {
  const { stdout } = await promisify(execFile)("scripts/install-helm", [], { timeout: 240_000 });
  project.provide("helm", stdout.trim().split("\n").at(-1) ?? "");
}
