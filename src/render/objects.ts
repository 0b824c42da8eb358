import { parseAllDocuments } from "yaml";
import { RenderError } from "../errors.js";
import type { HookDeletePolicy, KubeObject, Phase } from "../model.js";
import { assertUniqueKeys, documentValue } from "./yaml.js";

/** A parsed document before prbox's labels and namespace rules: where it came from and what it is. */
export interface SourcedObject {
  object: KubeObject;
  /** File relative to the sources root. */
  source: string;
}

/** Checks that a parsed YAML value is a Kubernetes object (or a List of them) and returns the objects. */
export function toObjects(value: unknown, source: string): KubeObject[] {
  if (!isRecord(value)) throw notAnObject(source, "a document that is not a mapping");
  // kubectl takes apart any `…List` with items (ConfigMapList, v1 List); the API serves no such kind to apply.
  if (typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items))
    return value.items.flatMap((item) => toObjects(item, source));
  const metadata = value.metadata;
  if (typeof value.apiVersion !== "string" || typeof value.kind !== "string") {
    throw notAnObject(source, "a document without apiVersion and kind");
  }
  if (!/^[A-Z]/.test(value.kind)) {
    throw new RenderError(
      `${source} contains a document of kind "${value.kind}": kinds are written as Kubernetes spells them, starting with a capital letter`,
      {
        location: { file: source },
        hint: `write e.g. ${value.kind.charAt(0).toUpperCase()}${value.kind.slice(1)} (ConfigMap, Deployment, Service)`,
      },
    );
  }
  if (!isRecord(metadata) || typeof metadata.name !== "string" || metadata.name === "") {
    throw notAnObject(source, `a ${value.kind} without metadata.name`);
  }
  return [value as KubeObject];
}

function notAnObject(source: string, what: string): RenderError {
  return new RenderError(`${source} contains ${what}`, {
    location: { file: source },
    hint: "every document must be a Kubernetes object with apiVersion, kind and metadata.name",
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Splits `helm template` output into objects, each with the template it came from
 * (helm prefixes every document with `# Source: <chart>/templates/x.yaml`).
 */
export async function parseHelmOutput(
  stdout: string,
  sourceOf: (helmSource: string) => string,
): Promise<SourcedObject[]> {
  const out: SourcedObject[] = [];
  let parsed = 0;
  for (const chunk of stdout.split(/^---\s*$/m)) {
    const helmSource = /^# Source: (.+)$/m.exec(chunk)?.[1]?.trim();
    if (!helmSource) continue;
    const source = sourceOf(helmSource);
    // Parsing is synchronous: between large documents the event loop gets its turn (the queue's lock renewal).
    parsed += chunk.length;
    if (parsed > YIELD_EVERY) {
      parsed = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const doc of parseAllDocuments(chunk, { uniqueKeys: false }) as ReturnType<typeof parseAllDocuments> &
      unknown[]) {
      if (doc.errors[0])
        throw new RenderError(`${source} renders invalid YAML: ${doc.errors[0].message.split("\n")[0]}`, {
          location: { file: source },
        });
      assertUniqueKeys(doc, source);
      const value = documentValue(doc, source);
      if (value !== null && value !== undefined)
        out.push(...toObjects(value, source).map((object) => ({ object, source })));
    }
  }
  return out;
}

/** Characters of YAML parsed between two turns of the event loop. */
const YIELD_EVERY = 256 * 1024;

/**
 * Helm hooks prbox runs around the main phase, and the test hooks (`test-success` is Helm 2's
 * name, still honoured by Helm 3) it runs after it for a box that asks; the rest (delete,
 * rollback) are skipped.
 */
const HOOK_PHASES: Record<string, Phase> = {
  "pre-install": "pre",
  "pre-upgrade": "pre",
  "post-install": "post",
  "post-upgrade": "post",
  test: "test",
  "test-success": "test",
};

export interface HookInfo {
  /** null: a hook prbox does not run (pre-delete, pre-rollback, ...). */
  phase: Phase | null;
  deletePolicies: HookDeletePolicy[];
}

export function hookInfo(object: KubeObject): HookInfo {
  const hooks = splitList(object.metadata.annotations?.["helm.sh/hook"]);
  if (hooks.length === 0) return { phase: "main", deletePolicies: [] };
  const phase = hooks.map((hook) => HOOK_PHASES[hook]).find((p) => p !== undefined) ?? null;
  const policies = splitList(object.metadata.annotations?.["helm.sh/hook-delete-policy"]).filter(
    (p): p is HookDeletePolicy => p === "before-hook-creation" || p === "hook-succeeded" || p === "hook-failed",
  );
  return { phase, deletePolicies: policies };
}

function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
