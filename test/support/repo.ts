import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach } from "vitest";

/** A file's content, or `{ link }` for a symlink to that target. */
export type Entry = string | { link: string };

/**
 * Writes a throw-away repository with the given files and removes it after the test.
 * Returns its real path (symlinks resolved, as prbox reports paths relative to it).
 */
export async function tempRepo(files: Record<string, Entry>): Promise<string> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), "prbox-test-repo-")));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  for (const [name, entry] of Object.entries(files)) {
    const file = path.join(root, name);
    await mkdir(path.dirname(file), { recursive: true });
    if (typeof entry === "string") await writeFile(file, entry);
    else await symlink(entry.link, file);
  }
  return root;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A minimal chart whose one template prints a ConfigMap from its values. */
export const configMapChart: Record<string, string> = {
  "chart/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
  "chart/values.yaml": "greeting: hello\n",
  "chart/templates/configmap.yaml": [
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    "  name: {{ .Release.Name }}-config",
    "data:",
    "  greeting: {{ .Values.greeting | quote }}",
    "",
  ].join("\n"),
};

export const PR = {
  forge: "github",
  repo: "acme/shop",
  pr: 42,
  branch: "feature/login",
  sha: "0123456789abcdef0123456789abcdef01234567",
};
