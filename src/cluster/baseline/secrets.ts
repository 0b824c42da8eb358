import type { V1Secret } from "@kubernetes/client-node";
import type { SecretCopySettings } from "../../config/baseline.js";
import { ClusterError } from "../../errors.js";
import type { KubeObject } from "../../model.js";
import { apiStatus, call, classifyApiError, isNotFound } from "../api-errors.js";
import type { Cluster } from "../client.js";
import { LABEL_MANAGED_BY, MANAGED_BY } from "../keys.js";
import { LABEL_BASELINE, LABEL_COPIED_FROM } from "./objects.js";

/**
 * The operator's Secrets in each preview namespace (registry credentials, shared staging
 * services). Values go from the API to the API: never through rendering, never into a log line
 * or an error message (only names do). Copied on every deploy, so a rotated source reaches every
 * preview at its next deploy; copies whose source is gone are deleted; the namespace's deletion
 * takes the rest.
 */

// Service account tokens are bound to their own namespace's account: a copy would be a stolen credential.
const NEVER_COPIED = new Set(["kubernetes.io/service-account-token"]);

async function readSource(cluster: Cluster, settings: SecretCopySettings, name: string): Promise<V1Secret> {
  try {
    return await cluster.core.readNamespacedSecret({ name, namespace: settings.from });
  } catch (error) {
    throw new ClusterError(
      `Secret ${name} to copy into previews (PRBOX_COPY_SECRETS) does not exist in namespace ${settings.from} or cannot be read`,
      {
        hint: `create it in ${settings.from}, or remove it from PRBOX_COPY_SECRETS; prbox needs get/list on Secrets there`,
        cause: error,
      },
    );
  }
}

/** The source Secrets, by name and by selector, each once; read before the namespace is touched. */
export async function sourceSecrets(cluster: Cluster, settings: SecretCopySettings): Promise<V1Secret[]> {
  const byName = new Map<string, V1Secret>();
  for (const name of settings.names) byName.set(name, await readSource(cluster, settings, name));
  if (settings.selector !== null) {
    const what = `listing the Secrets to copy (PRBOX_COPY_SECRETS_SELECTOR ${settings.selector}) in namespace ${settings.from}`;
    const list = await call(what, () =>
      cluster.core.listNamespacedSecret({ namespace: settings.from, labelSelector: settings.selector ?? undefined }),
    );
    for (const secret of list.items) byName.set(secret.metadata?.name ?? "", secret);
  }
  byName.delete("");
  const sources = [...byName.values()].filter((s) => !NEVER_COPIED.has(s.type ?? ""));
  const missing = settings.imagePullSecrets.filter((n) => !sources.some((s) => s.metadata?.name === n));
  if (missing.length > 0) {
    throw new ClusterError(
      `PRBOX_IMAGE_PULL_SECRETS names ${missing.join(", ")}, which PRBOX_COPY_SECRETS_SELECTOR does not select in namespace ${settings.from}`,
      {
        hint: "label the Secret so the selector matches it, or add it to PRBOX_COPY_SECRETS",
      },
    );
  }
  return sources;
}

function copyOf(source: V1Secret, namespace: string, from: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: source.metadata?.name ?? "",
      namespace,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_BASELINE]: "true", [LABEL_COPIED_FROM]: from },
    },
    type: source.type ?? "Opaque",
    data: source.data ?? {},
  };
}

/** A Secret's type is immutable: a source whose type changed is copied anew (422 on apply). */
async function applyCopy(cluster: Cluster, copy: KubeObject, from: string): Promise<void> {
  const { name, namespace = "" } = copy.metadata;
  const what = `copying Secret ${name} from namespace ${from} into ${namespace}`;
  try {
    await cluster.objects.apply(copy);
  } catch (error) {
    if (apiStatus(error) !== 422) throw classifyApiError(error, what);
    await call(`${what} (replacing the copy, whose type changed)`, async () => {
      await cluster.core.deleteNamespacedSecret({ name, namespace });
      await cluster.objects.apply(copy);
    });
  }
}

async function deleteStale(cluster: Cluster, namespace: string, keep: ReadonlySet<string>): Promise<void> {
  const labelSelector = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_COPIED_FROM}`;
  const copies = await call(`listing the copied Secrets in namespace ${namespace}`, () =>
    cluster.core.listNamespacedSecret({ namespace, labelSelector }),
  );
  for (const copy of copies.items) {
    const name = copy.metadata?.name ?? "";
    if (keep.has(name)) continue;
    try {
      await cluster.core.deleteNamespacedSecret({ name, namespace });
    } catch (error) {
      if (!isNotFound(error))
        throw classifyApiError(error, `deleting Secret ${name} in namespace ${namespace}, no longer copied`);
    }
  }
}

/** The default ServiceAccount's imagePullSecrets, so pods that name no account pull private images. */
async function addPullSecrets(cluster: Cluster, namespace: string, names: readonly string[]): Promise<void> {
  // Server-side apply of the one field: creates the account should its controller not have yet,
  // and leaves every other field alone (the list is atomic: prbox owns it on this account).
  const account: KubeObject = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "default", namespace },
    imagePullSecrets: names.map((name) => ({ name })),
  };
  await call(`adding imagePullSecrets to ServiceAccount default in namespace ${namespace}`, () =>
    cluster.objects.apply(account),
  );
}

/** Copies the operator's Secrets (as sourceSecrets read them) into `namespace`. */
export async function copySecrets(
  cluster: Cluster,
  namespace: string,
  settings: SecretCopySettings,
  sources: readonly V1Secret[],
): Promise<void> {
  const names = sources.map((s) => s.metadata?.name ?? "");
  for (const source of sources) await applyCopy(cluster, copyOf(source, namespace, settings.from), settings.from);
  await deleteStale(cluster, namespace, new Set(names));
  if (settings.imagePullSecrets.length > 0) await addPullSecrets(cluster, namespace, settings.imagePullSecrets);
}
