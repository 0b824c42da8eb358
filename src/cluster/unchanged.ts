import { createHash } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeObject } from "../model.js";
import { ANNOTATION_APPLIED_HASH } from "./keys.js";

/** JSON with keys sorted at every level, so equal objects hash equally whatever the render's key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The hash of what prbox applies for one object (its own hash annotation left out). */
export function appliedHash(object: KubeObject): string {
  const annotations = { ...object.metadata.annotations };
  delete annotations[ANNOTATION_APPLIED_HASH];
  const bare = { ...object, metadata: { ...object.metadata, annotations } };
  return createHash("sha256").update(canonical(bare)).digest("hex").slice(0, 32);
}

/** The object with its applied hash on it, as it is sent to the API server. */
export function withAppliedHash(object: KubeObject): KubeObject {
  const hash = appliedHash(object);
  return {
    ...object,
    metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [ANNOTATION_APPLIED_HASH]: hash } },
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isEmpty = (v: unknown): boolean =>
  v === null || v === undefined || (Array.isArray(v) ? v.length === 0 : isRecord(v) && Object.keys(v).length === 0);

/**
 * Does the live value hold every field the applied one sets, with the same value? This is what a
 * server-side apply would change: it sets exactly the applied fields (removals of fields prbox
 * applied before show up as a different hash). Lists must match element by element, so an
 * element added by someone else counts as a change too. Where the API server stores a value in
 * another form than the render wrote it (a quantity "0.5" stored as "500m"), the answer is "not
 * the same" and the object is applied again: a false "changed" costs a request, a false "same"
 * would leave drift in place, so every doubt goes the safe way.
 */
export function holds(live: unknown, applied: unknown): boolean {
  if (applied === null || applied === undefined) return live === null || live === undefined;
  if (isEmpty(applied) && (live === undefined || live === null)) return true;
  if (Array.isArray(applied)) {
    return Array.isArray(live) && live.length === applied.length && applied.every((a, i) => holds(live[i], a));
  }
  if (isRecord(applied)) return isRecord(live) && Object.entries(applied).every(([k, v]) => holds(live[k], v));
  // A number in the render is stored as a string in string-typed fields (quantities, labels): "1" for 1.
  if (typeof applied === "number" && typeof live === "string") return String(applied) === live;
  return live === applied;
}

/** A Secret's stringData is write-only: the API server folds it into data, base64-encoded. */
function comparable(object: KubeObject): Record<string, unknown> {
  if (object.apiVersion !== "v1" || object.kind !== "Secret" || !isRecord(object.stringData)) return object;
  const { stringData, ...rest } = object;
  const encoded = Object.fromEntries(
    Object.entries(stringData).map(([k, v]) => [k, Buffer.from(String(v), "utf8").toString("base64")]),
  );
  return { ...rest, data: { ...(isRecord(rest.data) ? rest.data : {}), ...encoded } };
}

/**
 * True when applying `applied` (stamped with its hash) again would change nothing on `live`: the
 * live object carries the same applied hash (the render did not change) and still holds every
 * applied field at its applied value (nobody changed one since: `kubectl edit`, a scale, another
 * field manager). An object being deleted is never unchanged.
 */
export function isUnchanged(applied: KubeObject, live: KubernetesObject | undefined): boolean {
  if (!live?.metadata || live.metadata.deletionTimestamp) return false;
  if (live.metadata.annotations?.[ANNOTATION_APPLIED_HASH] !== applied.metadata.annotations?.[ANNOTATION_APPLIED_HASH])
    return false;
  return holds(live, comparable(applied));
}
