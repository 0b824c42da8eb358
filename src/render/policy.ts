import { RenderError } from "../errors.js";
import {
  LABEL_BOX,
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  type EnvironmentInfo,
  type KubeObject,
} from "../model.js";
import type { RenderPolicy } from "../spec/context.js";
import { defaultBaseline } from "../config/baseline.js";
import { checkAgainstBaseline } from "./baseline-guard.js";
import type { SourcedObject } from "./objects.js";

/**
 * Kinds that live outside any namespace. Rendering has no cluster to ask, so this is the
 * well-known list; the apply step asks the API's discovery again for everything else (CRDs).
 */
export const CLUSTER_SCOPED_KINDS = new Set([
  "APIService",
  "CertificateSigningRequest",
  "ClusterIssuer",
  "ClusterRole",
  "ClusterRoleBinding",
  "ComponentStatus",
  "CSIDriver",
  "CSINode",
  "CustomResourceDefinition",
  "FlowSchema",
  "IngressClass",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "MutatingWebhookConfiguration",
  "Namespace",
  "Node",
  "PersistentVolume",
  "PodSecurityPolicy",
  "PriorityClass",
  "PriorityLevelConfiguration",
  "RuntimeClass",
  "StorageClass",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "ValidatingWebhookConfiguration",
  "VolumeAttachment",
  "VolumeAttributesClass",
  "DeviceClass",
]);

/**
 * Puts every object where it belongs and labels it: a namespaced object without a namespace goes
 * into its box's namespace; one naming a namespace outside the environment, or a cluster-scoped
 * object, is refused unless the operator allows that kind. The labels tie objects to their
 * environment so that prune, get and delete need no other record.
 */
export function placeObject(
  item: SourcedObject,
  box: { name: string; namespace: string },
  env: EnvironmentInfo,
  policy: RenderPolicy,
): KubeObject {
  const object = structuredClone(item.object);
  const what = `${object.kind} ${object.metadata.name} (${item.source})`;
  const allowed = policy.allowKinds.includes(object.kind);
  if (CLUSTER_SCOPED_KINDS.has(object.kind)) {
    if (!allowed) {
      throw new RenderError(`${what} is cluster-scoped; an environment may only contain namespaced objects`, {
        location: { file: item.source },
        hint: `remove it from the environment (install it once, outside prbox), or ask the operator to allow the kind ${object.kind}`,
      });
    }
    delete object.metadata.namespace;
  } else {
    object.metadata.namespace = checkNamespace({ object, what, source: item.source }, box.namespace, env, allowed);
  }
  if (env.mode === "pr") checkAgainstBaseline(object, item.source, policy.baseline ?? defaultBaseline(), env.namespace);
  const { name, namespace, labels, ...rest } = object.metadata;
  // name and namespace first, so the printed YAML reads like a hand-written manifest.
  object.metadata = {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    ...rest,
    labels: { ...labels, [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_ENVIRONMENT]: env.id, [LABEL_BOX]: box.name },
  };
  return object;
}

function checkNamespace(
  item: { object: KubeObject; what: string; source: string },
  boxNamespace: string,
  env: EnvironmentInfo,
  allowed: boolean,
): string {
  const { object, what, source } = item;
  const written = object.metadata.namespace;
  if (written === undefined || written === "" || written === boxNamespace) return boxNamespace;
  const ours = [env.namespace, ...env.extraNamespaces];
  if (ours.includes(written) || allowed) return written;
  throw new RenderError(`${what} sets namespace ${written}, outside the environment's namespace ${boxNamespace}`, {
    location: { file: source },
    hint: "remove metadata.namespace from the object: prbox puts it into the environment's namespace",
  });
}

/** Two boxes rendering the same object would overwrite each other on every deploy. */
export function assertUnique(objects: { object: KubeObject; box: string; source: string }[]): void {
  const seen = new Map<string, { box: string; source: string }>();
  for (const { object, box, source } of objects) {
    const key = `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
    const first = seen.get(key);
    if (first) {
      throw new RenderError(
        `${object.kind} ${object.metadata.name} is rendered twice: by ${first.source} (box ${first.box}) and ${source} (box ${box})`,
        {
          location: { file: source },
          hint: "give the objects distinct names, e.g. with the release name in them",
        },
      );
    }
    seen.set(key, { box, source });
  }
}
