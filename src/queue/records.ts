import { z } from "zod";
import type { DesiredState, ObservedState } from "../core/desired.js";
import { PrboxError } from "../errors.js";

// The store checks only the fields it relies on itself; the rest of a record is the core's
// business and may grow without a migration here.
const desiredShape = z.looseObject({ envId: z.string().min(1), generation: z.number().int().nonnegative() });
const observedShape = z.looseObject({ envId: z.string().min(1) });

function parse(raw: string, key: string, shape: z.ZodType): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new PrboxError(`the record at Redis key ${key} is not JSON`, { kind: "internal", cause: error });
  }
  const checked = shape.safeParse(value);
  if (!checked.success) {
    throw new PrboxError(`the record at Redis key ${key} is not a prbox record: ${z.prettifyError(checked.error)}`, {
      kind: "internal",
    });
  }
  return checked.data;
}

export function parseDesired(raw: string, key: string): DesiredState {
  return parse(raw, key, desiredShape) as DesiredState;
}

export function parseObserved(raw: string, key: string): ObservedState {
  return parse(raw, key, observedShape) as ObservedState;
}

/** JSON with object keys sorted, so two equal states always serialize the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) return item;
    const entries = Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  });
}

/** Whether `next` differs from `current` in anything but the generation. */
export function changed(current: DesiredState | null, next: DesiredState): boolean {
  if (current === null) return true;
  return canonicalJson({ ...current, generation: 0 }) !== canonicalJson({ ...next, generation: 0 });
}
