// The repository the tests open pull requests on: fixtures/preview-repo as files, and the
// variants later commits make of it.
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const FIXTURE = fileURLToPath(new URL("../../../../fixtures/preview-repo/", import.meta.url));

export type Files = Record<string, string>;

/** Every file under root (recursively), keyed by its path relative to root. */
export async function readTree(root: string, dir = ""): Promise<Files> {
  const files: Files = {};
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(files, await readTree(root, rel));
    else files[rel] = await readFile(path.join(root, rel), "utf8");
  }
  return files;
}

/** fixtures/preview-repo: two service boxes, an ingress box, a box of plain manifests. */
export function previewRepo(): Promise<Files> {
  return readTree(FIXTURE);
}

/** The same files without some, and with others changed or added. */
export function changed(files: Files, changes: { remove?: string[]; set?: Files }): Files {
  const next = { ...files, ...changes.set };
  for (const name of changes.remove ?? []) {
    if (!(name in next)) throw new Error(`the repository has no file ${name}`);
    delete next[name];
  }
  return next;
}

/** A commit SHA nobody else uses. */
export function newSha(): string {
  return randomBytes(20).toString("hex");
}

/**
 * The second service's pods never start: the test cluster's kwok stage keeps pods labelled
 * prbox.dev/test-fail: <reason> unready with that reason (scripts/cluster/pod-fail.yaml).
 */
export function withFailingPods(files: Files, reason = "ImagePullBackOff"): Files {
  const template = "box2/templates/api-nginx-deployment.yaml";
  const podLabels = "        app.kubernetes.io/instance: {{ .Release.Name }}\n    spec:";
  const text = files[template];
  if (!text?.includes(podLabels)) throw new Error(`${template} no longer has the pod labels this helper extends`);
  return changed(files, {
    set: {
      [template]: text.replace(
        podLabels,
        `        app.kubernetes.io/instance: {{ .Release.Name }}\n        prbox.dev/test-fail: ${reason}\n    spec:`,
      ),
    },
  });
}

/**
 * The first box asks for its chart's tests (`tests = true`) and has two: one passes, one exits
 * with code 1 (the test cluster's kwok stage scripts/cluster/pod-exit.yaml acts the exit out).
 */
export function withChartTests(files: Files): Files {
  const spec = files["environment.toml"];
  const box = 'name = "first-box"\n';
  if (!spec?.includes(box)) throw new Error("environment.toml no longer has the first box this helper extends");
  const testPod = (name: string, exitCode: number) =>
    [
      "apiVersion: v1",
      "kind: Pod",
      "metadata:",
      `  name: {{ .Release.Name }}-${name}`,
      "  annotations:",
      '    "helm.sh/hook": test',
      "  labels:",
      `    prbox.dev/test-exit-code: "${exitCode}"`,
      "spec:",
      "  restartPolicy: Never",
      "  containers:",
      "    - name: check",
      "      image: busybox:1.36",
      "      command: ['wget', '-qO-', 'http://{{ .Values.serviceName }}']",
      "",
    ].join("\n");
  const applications = [
    "    [[boxes.applications]]",
    '    name = "test-connection"',
    '    chart = "${PWD}/box1/templates/tests/test-connection.yaml"',
    "    [[boxes.applications]]",
    '    name = "test-login"',
    '    chart = "${PWD}/box1/templates/tests/test-login.yaml"',
    "",
  ].join("\n");
  return changed(files, {
    set: {
      "environment.toml": spec.replace(box, `${box}tests = true\n${applications}`),
      "box1/templates/tests/test-connection.yaml": testPod("test-connection", 0),
      "box1/templates/tests/test-login.yaml": testPod("test-login", 1),
    },
  });
}
