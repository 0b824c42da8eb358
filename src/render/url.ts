import type { KubeObject } from "../model.js";

interface IngressSpec {
  rules?: { host?: string }[];
  tls?: { hosts?: string[] }[];
}

/** The spec's `url` if it has one, else the first Ingress host (https when the Ingress has TLS for it), else null. */
export function previewUrl(specUrl: string | null, objects: readonly KubeObject[]): string | null {
  if (specUrl) return specUrl;
  for (const object of objects) {
    if (object.kind !== "Ingress") continue;
    const spec = (object.spec ?? {}) as IngressSpec;
    const host = spec.rules?.find((rule) => rule.host)?.host;
    if (!host) continue;
    const tls = spec.tls?.some((entry) => entry.hosts?.includes(host)) ?? false;
    return `${tls ? "https" : "http"}://${host}/`;
  }
  return null;
}
