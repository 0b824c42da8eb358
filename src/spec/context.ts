import type { Baseline } from "../config/baseline.js";
import type { SourceLocation } from "../errors.js";
import type { Mode } from "../model.js";
import { interpolate, type Origin } from "./interpolate.js";
import { resolveInside, type SourceTree } from "./paths.js";
import { locateKey, locateText, type TomlSource } from "./toml.js";
import type { Variables } from "./variables.js";

/** What the operator allows beyond the defaults (PR mode is strict by default). */
export interface RenderPolicy {
  /** Cluster-scoped kinds or foreign namespaces a spec may use, e.g. ["ClusterRole"]. */
  allowKinds: string[];
  /** Whether a box may deploy into a namespace other than the environment's (PR mode). */
  allowForeignNamespaces: boolean;
  /** Hosts `load_boxes_from` may fetch from in PR mode (`host` or `host:port`). */
  remoteHosts: string[];
  /** ClusterRoles a pull request's RoleBinding may name (PR mode); its own Roles are always fine. */
  allowClusterRoles: string[];
  /** Service types beyond ClusterIP (and "ExternalIPs") a pull request may use. */
  allowServiceTypes: string[];
  /** Host patterns (`*.preview.example.com`) an Ingress of any pull request may claim. */
  ingressHosts: string[];
  /** Whether a pull request's Ingress may carry ingress-nginx `*-snippet` annotations. */
  allowIngressSnippets: boolean;
  /** Bounds of one render (issue #12): helm's time and memory, its output, objects, boxes at once. */
  renderTimeoutMs: number;
  renderMemoryMb: number;
  renderMaxOutputMb: number;
  renderMaxObjects: number;
  renderConcurrency: number;
  /** The namespace baseline PR mode renders against (Pod Security level, protected names); default defaultBaseline(). */
  baseline?: Baseline;
}

export const DEFAULT_RENDER_POLICY: RenderPolicy = {
  allowKinds: [],
  allowForeignNamespaces: false,
  remoteHosts: [],
  allowClusterRoles: [],
  allowServiceTypes: [],
  ingressHosts: [],
  allowIngressSnippets: false,
  renderTimeoutMs: 60_000,
  renderMemoryMb: 1024,
  renderMaxOutputMb: 64,
  renderMaxObjects: 5000,
  renderConcurrency: 2,
};

type KeyPath = readonly (string | number)[];

/** The state shared while one spec file is resolved: its source, the tree, the mode, warnings. */
export class SpecContext {
  /** Shared with the contexts made from this one (`inTree`, load_boxes_from's document). */
  warnings: string[] = [];

  constructor(
    readonly source: TomlSource,
    readonly tree: SourceTree,
    readonly specDir: string,
    readonly mode: Mode,
    readonly policy: RenderPolicy,
  ) {}

  /** The same spec, its paths resolved in another repository's tree from that tree's root (a box's `repository`). */
  inTree(tree: SourceTree): SpecContext {
    const child = new SpecContext(this.source, tree, tree.root, this.mode, this.policy);
    child.warnings = this.warnings;
    return child;
  }

  /** `boxes[1].chart` for ["boxes", 1, "chart"]. */
  static fieldName(path: KeyPath): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
  }

  locate(path: KeyPath): SourceLocation {
    return locateKey(this.source, path);
  }

  origin(path: KeyPath): Origin {
    return { field: SpecContext.fieldName(path), locate: (reference) => locateText(this.source, reference) };
  }

  /** Interpolates the string at `path`, or returns undefined when the field is absent. */
  text(value: string | undefined, path: KeyPath, vars: Variables): string | undefined {
    return value === undefined ? undefined : interpolate(value, vars, this.origin(path));
  }

  async path(
    value: string,
    path: KeyPath,
    vars: Variables,
    kind: "file" | "directory" | "any" = "any",
  ): Promise<string> {
    const expanded = interpolate(value, vars, this.origin(path));
    return resolveInside(this.tree, {
      value: expanded,
      base: this.specDir,
      field: SpecContext.fieldName(path),
      location: this.locate(path),
      kind,
    });
  }
}
