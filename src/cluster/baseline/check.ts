import type { Baseline } from "../../config/baseline.js";
import { ConfigError } from "../../errors.js";
import { apiStatus, classifyApiError } from "../api-errors.js";
import type { Cluster } from "../client.js";

/**
 * The start-up half of the baseline's settings that needs the cluster: the namespace Secrets are
 * copied from must exist and prbox must be able to read Secrets there. A wrong setting stops
 * prbox with the setting's name instead of failing every deploy later. Transient errors (the API
 * unreachable) are thrown as they are: the caller decides whether to start anyway.
 */
export async function checkBaselineSettings(cluster: Cluster, baseline: Baseline): Promise<void> {
  const from = baseline.secrets?.from;
  if (from === undefined) return;
  try {
    await cluster.core.readNamespace({ name: from });
  } catch (error) {
    if (apiStatus(error) === 404) {
      throw new ConfigError([
        `PRBOX_COPY_SECRETS_FROM: namespace ${from} does not exist; create it and put the Secrets to copy there, or change the setting`,
      ]);
    }
    throw classifyApiError(error, `reading namespace ${from} (PRBOX_COPY_SECRETS_FROM)`);
  }
  try {
    await cluster.core.listNamespacedSecret({ namespace: from, limit: 1 });
  } catch (error) {
    if (apiStatus(error) === 403) {
      throw new ConfigError([
        `PRBOX_COPY_SECRETS_FROM: prbox may not list Secrets in namespace ${from}; grant its service account get/list on secrets there (the chart does with copySecrets.from)`,
      ]);
    }
    throw classifyApiError(error, `listing Secrets in namespace ${from} (PRBOX_COPY_SECRETS_FROM)`);
  }
}
