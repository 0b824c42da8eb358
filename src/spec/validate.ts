import type { z } from "zod";
import { SpecError } from "../errors.js";
import { SpecContext } from "./context.js";
import { KNOWN_KEYS } from "./schema.js";
import type { TomlSource } from "./toml.js";
import { locateKey } from "./toml.js";

/** Checks `data` against `schema`; every problem is listed, the first one located. */
export function validate<T>(schema: z.ZodType<T>, source: TomlSource, data: unknown = source.data): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    const field = SpecContext.fieldName(path);
    return { path, text: field && !issue.message.startsWith(field) ? `${field}: ${issue.message}` : issue.message };
  });
  const first = problems[0];
  throw new SpecError(problems.map((p) => p.text).join("\n"), {
    location: first ? locateKey(source, first.path) : { file: source.file },
  });
}

/** k8sbox ignored unknown keys, so prbox does too, but says so: a typo should not pass silently. */
export function unknownKeyWarnings(data: Record<string, unknown>): string[] {
  const warnings = unknown(data, KNOWN_KEYS.spec, []);
  const boxes = Array.isArray(data.boxes) ? data.boxes : [];
  boxes.forEach((box: Record<string, unknown>, i) => {
    warnings.push(...unknown(box, KNOWN_KEYS.box, ["boxes", i]));
    const apps = Array.isArray(box.applications) ? box.applications : [];
    apps.forEach((app: Record<string, unknown>, j) =>
      warnings.push(...unknown(app, KNOWN_KEYS.application, ["boxes", i, "applications", j])),
    );
  });
  return warnings;
}

function unknown(table: Record<string, unknown>, known: string[], at: (string | number)[]): string[] {
  return Object.keys(table)
    .filter((key) => !known.includes(key))
    .map((key) => `unknown key ${SpecContext.fieldName([...at, key])} is ignored (known keys: ${known.join(", ")})`);
}
