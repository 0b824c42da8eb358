import { RenderError } from "../errors.js";
import type { KubeObject, RenderedObject } from "../model.js";
import type { RenderPolicy } from "../spec/context.js";

interface RoleRef {
  kind?: string;
  name?: string;
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}

const BINDINGS = new Set(["RoleBinding", "ClusterRoleBinding"]);
const ROLES = new Set(["Role", "ClusterRole"]);
/** Verbs that hand out more than the rule itself: create bindings to any role, write any role, act as anyone. */
const ESCALATING_VERBS = ["bind", "escalate", "impersonate"];

const isRbac = (object: KubeObject) => object.apiVersion.startsWith("rbac.authorization.k8s.io/");

/**
 * RBAC inside a pull request's namespace must not escalate (issue #12): prbox holds the rules of
 * its own ClusterRoles, so the API's escalation check lets it bind them for a PR. A binding may
 * name only a Role the environment renders (in the binding's namespace), a ClusterRole it renders
 * (only possible when the operator allowed that kind) or one the operator allows; its subjects
 * may only be ServiceAccounts of the environment's namespaces. A Role may not grant bind,
 * escalate or impersonate (also not through `*`).
 */
export function checkRbac(
  objects: readonly RenderedObject[],
  namespaces: readonly string[],
  policy: RenderPolicy,
): void {
  const rendered = new Set(
    objects
      .filter((o) => ROLES.has(o.object.kind) && isRbac(o.object))
      .map((o) => roleKey(o.object.kind, o.object.metadata.namespace, o.object.metadata.name)),
  );
  for (const item of objects) {
    if (!isRbac(item.object)) continue;
    if (BINDINGS.has(item.object.kind)) checkBinding(item, rendered, namespaces, policy);
    if (ROLES.has(item.object.kind)) checkRules(item);
  }
}

function roleKey(kind: string, namespace: string | undefined, name: string): string {
  return kind === "Role" ? `Role/${namespace ?? ""}/${name}` : `ClusterRole//${name}`;
}

function checkBinding(
  item: RenderedObject,
  rendered: Set<string>,
  namespaces: readonly string[],
  policy: RenderPolicy,
): void {
  const { object, source } = item;
  const what = `${object.kind} ${object.metadata.name} (${source})`;
  const ref = (object.roleRef ?? {}) as RoleRef;
  if (!isOwnOrAllowedRole(ref, object.metadata.namespace, rendered, policy)) {
    throw new RenderError(
      `${what} binds ${ref.kind ?? "(no kind)"} ${ref.name ?? "(no name)"}, which is not the environment's own; a pull request's binding may only name Roles it defines and ClusterRoles the operator allows`,
      {
        location: { file: source },
        hint:
          ref.kind === "ClusterRole"
            ? `define a Role with the rules the workload needs, or ask the operator to add ${ref.name} to PRBOX_ALLOW_CLUSTER_ROLES`
            : "define the Role in the same chart or manifests (same namespace) as the binding",
      },
    );
  }
  const subjects = Array.isArray(object.subjects) ? (object.subjects as Subject[]) : [];
  const outsider = subjects.find((subject) => !isOwnServiceAccount(subject, object.metadata.namespace, namespaces));
  if (outsider === undefined) return;
  throw new RenderError(
    `${what} grants ${ref.name} to ${subjectName(outsider, object.metadata.namespace)}; a pull request's binding may only name ServiceAccounts of the environment's namespace ${namespaces.join(", ")}`,
    {
      location: { file: source },
      hint: "bind the workload's own ServiceAccount (leave the subject's namespace empty); users, groups and other namespaces' accounts cannot be granted rights by a preview",
    },
  );
}

function isOwnOrAllowedRole(
  ref: RoleRef,
  namespace: string | undefined,
  rendered: Set<string>,
  policy: RenderPolicy,
): boolean {
  const name = ref.name ?? "";
  if (ref.kind === "Role") return rendered.has(roleKey("Role", namespace, name));
  if (ref.kind === "ClusterRole")
    return policy.allowClusterRoles.includes(name) || rendered.has(roleKey("ClusterRole", undefined, name));
  return false;
}

function isOwnServiceAccount(
  subject: Subject,
  bindingNamespace: string | undefined,
  namespaces: readonly string[],
): boolean {
  const namespace = subject.namespace || bindingNamespace;
  return subject.kind === "ServiceAccount" && namespace !== undefined && namespaces.includes(namespace);
}

function subjectName(subject: Subject, bindingNamespace: string | undefined): string {
  if (subject.kind === "ServiceAccount")
    return `ServiceAccount ${subject.namespace || bindingNamespace || "?"}/${subject.name}`;
  return `${subject.kind ?? "(no kind)"} ${subject.name ?? "(no name)"}`;
}

function checkRules(item: RenderedObject): void {
  const { object, source } = item;
  const rules = Array.isArray(object.rules) ? (object.rules as Rule[]) : [];
  for (const rule of rules) {
    const verbs = rule.verbs ?? [];
    const groups = rule.apiGroups ?? [];
    const named = verbs.find((verb) => ESCALATING_VERBS.includes(verb));
    // `*` includes bind, escalate and impersonate when the rule covers RBAC or identities.
    const wildcard =
      verbs.includes("*") &&
      (groups.includes("*") ||
        groups.includes("rbac.authorization.k8s.io") ||
        (groups.includes("") &&
          (rule.resources ?? []).some((r) => ["*", "users", "groups", "serviceaccounts"].includes(r))));
    if (named === undefined && !wildcard) continue;
    throw new RenderError(
      `${object.kind} ${object.metadata.name} (${source}) grants "${named ?? "*"}" on ${groups.map((g) => g || "core").join(", ")}; a pull request's role may not grant bind, escalate or impersonate`,
      {
        location: { file: source },
        hint: "list the verbs the workload needs (get, list, watch, create, ...) instead",
      },
    );
  }
}
