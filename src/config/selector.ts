/**
 * Kubernetes label selectors as an operator writes them (`kubectl get -l`), parsed once at
 * start-up: a selector the API server would refuse must stop prbox, not fail every deploy.
 */
export interface ParsedSelector {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

// A qualified name with an optional DNS prefix (kubernetes.io/metadata.name), and a label value.
const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Splits on commas outside parentheses: `a in (x,y),b` is two requirements. */
function requirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      parts.push(current.trim());
      current = "";
    } else current += char;
  }
  parts.push(current.trim());
  return parts;
}

function checkKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`"${key}" is not a label key`);
}

function checkValue(value: string): void {
  if (!VALUE.test(value)) throw new Error(`"${value}" is not a label value`);
}

function addRequirement(out: ParsedSelector, requirement: string): void {
  const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(requirement);
  if (set) {
    const [, key = "", op, list = ""] = set;
    const values = list.split(",").map((v) => v.trim());
    checkKey(key);
    values.forEach(checkValue);
    out.matchExpressions.push({ key, operator: op === "in" ? "In" : "NotIn", values });
    return;
  }
  const equality = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(requirement);
  if (equality) {
    const [, key = "", op, value = ""] = equality;
    checkKey(key);
    checkValue(value);
    if (op === "!=") out.matchExpressions.push({ key, operator: "NotIn", values: [value] });
    else out.matchLabels[key] = value;
    return;
  }
  const exists = /^(!?)\s*(\S+)$/.exec(requirement);
  if (!exists)
    throw new Error(
      `"${requirement}" is not a requirement (write key=value, key!=value, key in (a,b), key notin (a,b), key or !key)`,
    );
  checkKey(exists[2] ?? "");
  out.matchExpressions.push({ key: exists[2] ?? "", operator: exists[1] === "!" ? "DoesNotExist" : "Exists" });
}

/** Parses `key=value,key in (a,b),!key`; throws an Error saying which part is wrong. */
export function parseSelector(text: string): ParsedSelector {
  const out: ParsedSelector = { matchLabels: {}, matchExpressions: [] };
  const parts = requirements(text);
  if (parts.some((p) => p === "")) throw new Error(`"${text}" has an empty requirement (a stray comma?)`);
  for (const part of parts) addRequirement(out, part);
  return out;
}
