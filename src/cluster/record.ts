import type { V1Namespace } from "@kubernetes/client-node";
import type { RenderedEnvironment } from "../model.js";
import * as k from "./keys.js";
import { formatKinds, type KindRef } from "./kinds.js";
import type { NamespaceMetadata } from "./namespaces.js";

export type EnvironmentStatus = "deploying" | "ready" | "failed";
export type NamespaceRole = "primary" | "extra";

/** What the cluster knows about one environment, read back from its primary namespace. */
export interface EnvironmentRecord {
  id: string;
  name: string;
  namespace: string;
  extraNamespaces: string[];
  forge: string | null;
  repo: string | null;
  pr: number | null;
  branch: string | null;
  sha: string | null;
  url: string | null;
  boxes: string[];
  deployedAt: string | null;
  /** "unknown" when the annotation is missing or not one prbox writes. */
  status: EnvironmentStatus | "unknown";
  lastError: string | null;
  adopted: boolean;
  /** The environment sleeps (ADR 28); absent when it does not. */
  sleeping?: boolean;
}

const MAX_ERROR_CHARS = 2000;

/** Annotations are capped at 256 KiB for all of them together: keep the error short. */
export function truncateError(message: string): string {
  return message.length <= MAX_ERROR_CHARS ? message : `${message.slice(0, MAX_ERROR_CHARS - 1)}…`;
}

function baseLabels(rendered: RenderedEnvironment): Record<string, string> {
  const { environment } = rendered;
  const labels: Record<string, string> = { [k.LABEL_MANAGED_BY]: k.MANAGED_BY, [k.LABEL_ENVIRONMENT]: environment.id };
  if (environment.mode === "pr" && environment.pr) {
    labels[k.LABEL_FORGE] = environment.pr.forge;
    labels[k.LABEL_PR] = String(environment.pr.pr);
  }
  return labels;
}

/** The full record, written on the primary namespace at the start of every deploy. */
export function primaryMetadata(
  rendered: RenderedEnvironment,
  kinds: readonly KindRef[],
  deployedAt: Date,
): NamespaceMetadata {
  const { environment } = rendered;
  const pr = environment.pr;
  return {
    labels: baseLabels(rendered),
    annotations: {
      [k.ANNOTATION_ID]: environment.id,
      [k.ANNOTATION_ROLE]: "primary",
      [k.ANNOTATION_NAME]: environment.name,
      [k.ANNOTATION_REPO]: pr?.repo ?? null,
      [k.ANNOTATION_BRANCH]: pr?.branch ?? null,
      [k.ANNOTATION_SHA]: pr?.sha ?? null,
      [k.ANNOTATION_URL]: environment.url,
      [k.ANNOTATION_BOXES]: rendered.boxes.join(","),
      [k.ANNOTATION_DEPLOYED_AT]: deployedAt.toISOString(),
      [k.ANNOTATION_STATUS]: "deploying",
      [k.ANNOTATION_LAST_ERROR]: null,
      [k.ANNOTATION_KINDS]: formatKinds(kinds),
    },
  };
}

/** Extra namespaces only say whose they are; the record lives on the primary one. */
export function extraMetadata(rendered: RenderedEnvironment): NamespaceMetadata {
  return {
    labels: baseLabels(rendered),
    annotations: { [k.ANNOTATION_ID]: rendered.environment.id, [k.ANNOTATION_ROLE]: "extra" },
  };
}

export function roleOf(namespace: V1Namespace): NamespaceRole {
  return namespace.metadata?.annotations?.[k.ANNOTATION_ROLE] === "extra" ? "extra" : "primary";
}

function statusOf(value: string | undefined): EnvironmentRecord["status"] {
  return value === "deploying" || value === "ready" || value === "failed" ? value : "unknown";
}

function prNumber(value: string | undefined): number | null {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) ? n : null;
}

/** The record a primary namespace carries; null when it is not one of prbox's. */
export function readRecord(namespace: V1Namespace, extraNamespaces: string[] = []): EnvironmentRecord | null {
  const labels = namespace.metadata?.labels ?? {};
  const annotations = namespace.metadata?.annotations ?? {};
  const id = labels[k.LABEL_ENVIRONMENT];
  if (labels[k.LABEL_MANAGED_BY] !== k.MANAGED_BY || id === undefined) return null;
  const a = (key: string): string | null => annotations[key] ?? null;
  return {
    id,
    name: a(k.ANNOTATION_NAME) ?? id,
    namespace: namespace.metadata?.name ?? "",
    extraNamespaces,
    forge: labels[k.LABEL_FORGE] ?? null,
    repo: a(k.ANNOTATION_REPO),
    pr: prNumber(labels[k.LABEL_PR]),
    branch: a(k.ANNOTATION_BRANCH),
    sha: a(k.ANNOTATION_SHA),
    url: a(k.ANNOTATION_URL),
    boxes: (a(k.ANNOTATION_BOXES) ?? "").split(",").filter((b) => b !== ""),
    deployedAt: a(k.ANNOTATION_DEPLOYED_AT),
    status: statusOf(annotations[k.ANNOTATION_STATUS]),
    lastError: a(k.ANNOTATION_LAST_ERROR),
    adopted: labels[k.LABEL_ADOPTED] === "true",
    ...(labels[k.LABEL_SLEEPING] === "true" ? { sleeping: true } : {}),
  };
}
