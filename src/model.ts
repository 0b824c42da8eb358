/**
 * The data that flows between the pure half of prbox (spec → render) and the
 * half that touches the cluster (apply, wait, delete). Plain data only.
 */

/** A Kubernetes object as rendered: apiVersion, kind, metadata.name at least. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/**
 * When an object is applied. Helm hooks run around the main phase:
 * "pre" (pre-install/pre-upgrade) objects are applied and waited for first,
 * then "main", then "post" (post-install/post-upgrade), then "test" (the
 * chart's test hooks, only for a box with `tests = true`), whose results are
 * reported rather than failing the deploy.
 */
export type Phase = "pre" | "main" | "post" | "test";

/** Helm's hook-delete-policy values. */
export type HookDeletePolicy = "before-hook-creation" | "hook-succeeded" | "hook-failed";

export interface RenderedObject {
  object: KubeObject;
  /** The box that produced it. */
  box: string;
  /** The file it came from, relative to the sources root (for error messages). */
  source: string;
  phase: Phase;
  /** Only for hooks (phase "pre", "post" or "test"). */
  deletePolicies: HookDeletePolicy[];
}

export type Mode = "cli" | "pr";

/** The pull request a render is for (PR mode). */
export interface PrContext {
  forge: string;
  repo: string;
  pr: number;
  branch: string;
  sha: string;
}

export interface EnvironmentInfo {
  /** Record key, also the value of the prbox.dev/environment label (a valid label value). */
  id: string;
  name: string;
  /** The environment's namespace; in PR mode every object lives there. */
  namespace: string;
  /** Other namespaces boxes deploy into (CLI mode only; empty in PR mode). */
  extraNamespaces: string[];
  url: string | null;
  /**
   * The spec's `probe`: request the Ingresses' addresses before "ready" (true, false, or the path
   * to request on each host); absent: PRBOX_PROBE decides.
   */
  probe?: boolean | string;
  mode: Mode;
  pr: PrContext | null;
}

/** A box whose sources are another repository's (its `repository`), and the commit they were at. */
export interface BoxSourceInfo {
  box: string;
  repository: string;
  /** As the spec wrote it; null: the repository's default branch. */
  ref: string | null;
  /** null for a local checkout (`prbox render --source`). */
  commit: string | null;
}

export interface RenderedEnvironment {
  environment: EnvironmentInfo;
  boxes: string[];
  /** The boxes taken from other repositories; absent or empty when every box is the PR's own. */
  sources?: BoxSourceInfo[];
  objects: RenderedObject[];
  /** Non-fatal remarks for the user (unknown keys in the spec, ignored fields). */
  warnings: string[];
  /**
   * Kinds the operator allowed to be cluster-scoped or in a foreign namespace (PRBOX_ALLOW_KINDS,
   * --allow-kind). The render step already refused every other such object; the apply step checks
   * again with the cluster's discovery, and must agree with the operator.
   */
  allowedKinds?: readonly string[];
}

/** The label every prbox object carries, and the one that ties it to its environment. */
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "prbox";
export const LABEL_ENVIRONMENT = "prbox.dev/environment";
export const LABEL_BOX = "prbox.dev/box";
