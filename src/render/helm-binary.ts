import { execFile } from "node:child_process";
import { access, constants, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { PrboxError } from "../errors.js";

const run = promisify(execFile);

/** Where scripts/install-helm puts the pinned helm: `<cache>/helm-<version>/helm`. */
export function cacheDirectory(env: NodeJS.ProcessEnv): string {
  return env.PRBOX_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "prbox");
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(env: NodeJS.ProcessEnv): Promise<string | null> {
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, "helm");
    if (await executable(candidate)) return candidate;
  }
  return null;
}

async function inCache(env: NodeJS.ProcessEnv): Promise<string | null> {
  const cache = cacheDirectory(env);
  const entries = await readdir(cache).catch(() => [] as string[]);
  for (const entry of entries
    .filter((e) => e.startsWith("helm-"))
    .sort()
    .reverse()) {
    const candidate = path.join(cache, entry, "helm");
    if (await executable(candidate)) return candidate;
  }
  return null;
}

/** The helm binary: $HELM_BIN, else `helm` on PATH, else the one scripts/install-helm cached. */
export async function findHelm(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.HELM_BIN) {
    if (await executable(env.HELM_BIN)) return env.HELM_BIN;
    throw new PrboxError(`HELM_BIN=${env.HELM_BIN} is not an executable file`, {
      hint: "point HELM_BIN at the helm binary",
    });
  }
  const found = (await onPath(env)) ?? (await inCache(env));
  if (found) return found;
  throw new PrboxError("helm was not found (needed to render helm boxes)", {
    hint: "install helm on PATH, set HELM_BIN, or run scripts/install-helm",
  });
}

/** `helm version --short`, e.g. "v4.1.4+g05fa379". */
export async function helmVersion(helm: string): Promise<string> {
  const { stdout } = await run(helm, ["version", "--short"], { env: helmEnvironment(os.tmpdir()) });
  return stdout.trim();
}

/**
 * The environment helm runs with: only what it needs, never the bot's secrets, and its
 * caches in a scratch directory so a chart cannot read or poison the host's helm settings.
 */
export function helmEnvironment(scratch: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: scratch,
    HELM_CACHE_HOME: path.join(scratch, "cache"),
    HELM_CONFIG_HOME: path.join(scratch, "config"),
    HELM_DATA_HOME: path.join(scratch, "data"),
    KUBECONFIG: path.join(scratch, "no-kubeconfig"),
  };
}
