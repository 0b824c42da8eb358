// helm's reach (issue #12, class 3): what the real helm sees when prbox runs it. Every file helm
// may read or write is in the scratch directory, no cluster is configured, and nothing of the
// bot's own environment (its secrets, a HELM_* or KUBECONFIG of the host) reaches it.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { findHelm, helmEnvironment } from "../../../src/render/helm-binary.js";

const run = promisify(execFile);
let scratch = "";
afterEach(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("the environment helm renders with", () => {
  it("keeps every helm path in the scratch directory and nothing of the bot's environment", async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), "prbox-helm-env-"));
    const saved = { ...process.env };
    Object.assign(process.env, {
      WEBHOOK_SECRET: "hunter2-webhook",
      HELM_PLUGINS: "/opt/evil-plugins",
      HELM_KUBETOKEN: "token-of-the-host",
      KUBECONFIG: "/root/.kube/config",
    });
    try {
      const env = helmEnvironment(scratch);
      const { stdout } = await run(await findHelm(), ["env"], { env });
      const settings = Object.fromEntries(
        stdout
          .trim()
          .split("\n")
          .map((line) => line.split("=", 2) as [string, string])
          .map(([k, v]) => [k, JSON.parse(v) as string]),
      );
      for (const name of [
        "HELM_CACHE_HOME",
        "HELM_CONFIG_HOME",
        "HELM_DATA_HOME",
        "HELM_PLUGINS",
        "HELM_REGISTRY_CONFIG",
        "HELM_REPOSITORY_CACHE",
        "HELM_REPOSITORY_CONFIG",
      ]) {
        expect(settings[name], name).toMatch(new RegExp(`^${scratch}/`));
      }
      expect(settings.HELM_KUBETOKEN).toBe("");
      expect(settings.HELM_KUBEAPISERVER).toBe("");
      expect(Object.keys(env).sort()).toEqual([
        "HELM_CACHE_HOME",
        "HELM_CONFIG_HOME",
        "HELM_DATA_HOME",
        "HOME",
        "KUBECONFIG",
        "PATH",
      ]);
      expect(env.KUBECONFIG).toBe(path.join(scratch, "no-kubeconfig"));
      expect(stdout).not.toContain("hunter2");
      expect(stdout).not.toContain("evil-plugins");
    } finally {
      process.env = saved;
    }
  });
});
