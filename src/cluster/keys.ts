/**
 * Label and annotation keys prbox writes on namespaces and objects. The cluster
 * is the record of what exists (ADR 5), so these keys are a
 * format other prbox versions read back: change them only with a migration.
 */
export { LABEL_MANAGED_BY, MANAGED_BY, LABEL_ENVIRONMENT } from "../model.js";

export const LABEL_FORGE = "prbox.dev/forge";
export const LABEL_PR = "prbox.dev/pr";
/** On a namespace that existed before prbox: delete never deletes it, only prbox's objects in it. */
export const LABEL_ADOPTED = "prbox.dev/adopted";

export const ANNOTATION_ID = "prbox.dev/id";
export const ANNOTATION_NAME = "prbox.dev/name";
export const ANNOTATION_REPO = "prbox.dev/repo";
export const ANNOTATION_BRANCH = "prbox.dev/branch";
export const ANNOTATION_SHA = "prbox.dev/sha";
export const ANNOTATION_URL = "prbox.dev/url";
export const ANNOTATION_BOXES = "prbox.dev/boxes";
export const ANNOTATION_DEPLOYED_AT = "prbox.dev/deployed-at";
export const ANNOTATION_STATUS = "prbox.dev/status";
export const ANNOTATION_LAST_ERROR = "prbox.dev/last-error";
/** Every group-kind the environment has ever applied: the prune inventory. */
export const ANNOTATION_KINDS = "prbox.dev/kinds";
export const ANNOTATION_ROLE = "prbox.dev/role";
/** On every applied object: the hash of what prbox applied, to skip it when nothing changed. */
export const ANNOTATION_APPLIED_HASH = "prbox.dev/applied-hash";

// Sleep (ADR 28, cluster/sleep.ts).
/** On a sleeping namespace (set first, removed last): sleep and wake resume from it. */
export const LABEL_SLEEPING = "prbox.dev/sleeping";
/** On a sleeping namespace: the hosts its Ingresses served (JSON list), for the waking page. */
export const ANNOTATION_SLEEP_HOSTS = "prbox.dev/sleep-hosts";
/** On a sleeping Deployment or StatefulSet: its replicas before sleep. */
export const ANNOTATION_SLEEP_REPLICAS = "prbox.dev/sleep-replicas";
/** On a sleeping Ingress: its `spec` before sleep, as JSON. */
export const ANNOTATION_SLEEP_SPEC = "prbox.dev/sleep-spec";
/** Field manager of every server-side apply prbox makes. */
export const FIELD_MANAGER = "prbox";
