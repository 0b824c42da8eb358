/** A metav1.LabelSelector as workloads carry it in spec.selector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

function expression(e: { key: string; operator: string; values?: string[] }): string {
  const values = (e.values ?? []).join(",");
  switch (e.operator) {
    case "In":
      return `${e.key} in (${values})`;
    case "NotIn":
      return `${e.key} notin (${values})`;
    case "Exists":
      return e.key;
    default: // DoesNotExist
      return `!${e.key}`;
  }
}

/** The query-string form (`a=b,c in (d)`) of a LabelSelector; undefined when it selects nothing. */
export function selectorString(selector: LabelSelector | undefined): string | undefined {
  if (!selector) return undefined;
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map(expression),
  ];
  // An empty selector matches every pod of the namespace: useless for diagnosing one workload.
  return parts.length > 0 ? parts.join(",") : undefined;
}
