import type { V1Secret } from "@kubernetes/client-node";
import type { Baseline } from "../../config/baseline.js";
import type { KubeObject, RenderedEnvironment, RenderedObject } from "../../model.js";
import { guardBaseline } from "../../render/baseline-guard.js";
import { call, classifyApiError, isNotFound } from "../api-errors.js";
import type { Cluster } from "../client.js";
import { isUnchanged, withAppliedHash } from "../unchanged.js";
import { BASELINE_NAME, baselineObjects, LABEL_BASELINE } from "./objects.js";
import { copySecrets, sourceSecrets } from "./secrets.js";

const API_VERSIONS: Record<string, string> = {
  NetworkPolicy: "networking.k8s.io/v1",
  ResourceQuota: "v1",
  LimitRange: "v1",
};

/** A rule the operator switched off goes away; an object of that name prbox did not write stays. */
async function removeSwitchedOff(cluster: Cluster, namespace: string, kind: string): Promise<void> {
  const header = { apiVersion: API_VERSIONS[kind] ?? "v1", kind, metadata: { name: BASELINE_NAME, namespace } };
  const what = `removing ${kind} ${BASELINE_NAME} from namespace ${namespace} (switched off)`;
  try {
    const existing = await cluster.objects.read(header);
    if (existing.metadata?.labels?.[LABEL_BASELINE] !== "true") return;
    await cluster.objects.delete(header);
  } catch (error) {
    if (!isNotFound(error)) throw classifyApiError(error, what);
  }
}

/** Like the environment's own objects (ADR 19): an unchanged re-deploy reads the baseline, it does not write it. */
async function applyIfChanged(cluster: Cluster, object: KubeObject): Promise<void> {
  const what = `applying ${object.kind} ${BASELINE_NAME} in namespace ${object.metadata.namespace ?? ""}`;
  const live = await cluster.objects.readRaw(object).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw classifyApiError(error, what);
  });
  if (isUnchanged(object, live)) return;
  await call(what, () => cluster.objects.apply(object));
}

/**
 * Makes a pull request's namespace safe before anything of the spec is applied: the NetworkPolicy,
 * ResourceQuota and LimitRange prbox-baseline (each rule switched off is removed), and the
 * operator's Secrets (`sources`, read by sourceSecrets before the namespace was touched).
 */
export async function applyBaseline(
  cluster: Cluster,
  namespace: string,
  baseline: Baseline,
  sources: readonly V1Secret[],
): Promise<void> {
  const { apply, off } = baselineObjects(namespace, baseline);
  // Independent of each other, and all in place before the render's first object: written at once.
  await Promise.all([
    ...apply.map((object) => applyIfChanged(cluster, withAppliedHash(object))),
    ...off.map((kind) => removeSwitchedOff(cluster, namespace, kind)),
    ...(baseline.secrets ? [copySecrets(cluster, namespace, baseline.secrets, sources)] : []),
  ]);
}

/** A pull request's baseline, checked against the render and with its Secrets read, before any write. */
export interface PreparedBaseline {
  baseline: Baseline;
  sources: V1Secret[];
}

/**
 * PR mode only (null otherwise): reads the Secrets to copy and refuses an object of the render
 * that would weaken the baseline, now that the names a selector matches are known. Nothing is
 * written yet, so a refusal changes nothing.
 */
export async function prepareBaseline(
  cluster: Cluster,
  rendered: RenderedEnvironment,
  objects: readonly RenderedObject[],
  baseline: Baseline,
): Promise<PreparedBaseline | null> {
  if (rendered.environment.mode !== "pr") return null;
  const sources = baseline.secrets ? await sourceSecrets(cluster, baseline.secrets) : [];
  const context = {
    copiedSecrets: sources.map((s) => s.metadata?.name ?? ""),
    namespace: rendered.environment.namespace,
  };
  for (const item of objects) guardBaseline(item.object, item.source, baseline, context);
  return { baseline, sources };
}
