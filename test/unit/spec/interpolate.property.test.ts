// Properties of `${VAR}` interpolation over generated templates: what must hold for every string,
// not only for the examples in interpolate.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SpecError, type SourceLocation } from "../../../src/errors.js";
import { interpolate, referencedVariables, type Origin } from "../../../src/spec/interpolate.js";
import { Variables } from "../../../src/spec/variables.js";

const RUNS = { numRuns: 500, seed: 6_2026 };

/** An origin that records which references it was asked to locate. */
function recordingOrigin(): Origin & { located: string[] } {
  const located: string[] = [];
  return {
    field: "boxes[0].values",
    located,
    locate(reference: string): SourceLocation {
      located.push(reference);
      return { file: "environment.toml", line: 7, column: 3 };
    },
  };
}

/** `text` written so that interpolation gives it back: every `$` doubled. */
const escape = (text: string) => text.replaceAll("$", () => "$$");

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
/** Text that leans on the characters interpolation cares about. */
const tricky = fc.string({ unit: fc.constantFrom("$", "{", "}", ":", "-", "A", "_", "1", " ", "é", "\n", "x") });
const anyText = fc.oneof(tricky, fc.string({ unit: "grapheme" }));

type Segment = { literal: string } | { ref: string; braces: boolean };

/** A template from literal text and references to `names`, and what it must expand to. */
function template(segments: Segment[], values: Record<string, string>): { text: string; expected: string } {
  let text = "";
  let expected = "";
  segments.forEach((segment, i) => {
    if ("literal" in segment) {
      text += escape(segment.literal);
      expected += segment.literal;
      return;
    }
    // `$NAME` only where the next character cannot be read as part of the name.
    const next = segments.slice(i + 1).find((s) => !("literal" in s) || s.literal !== "");
    const bare = !segment.braces && !(next && "literal" in next && /^[A-Za-z0-9_]/.test(next.literal));
    text += bare ? `$${segment.ref}` : `\${${segment.ref}}`;
    expected += values[segment.ref];
  });
  return { text, expected };
}

const definedVariables = fc.dictionary(name, anyText, { minKeys: 1, maxKeys: 5 });

function segmentsOver(names: string[]): fc.Arbitrary<Segment[]> {
  const reference = fc.record({ ref: fc.constantFrom(...names), braces: fc.boolean() });
  return fc.array(fc.oneof(fc.record({ literal: anyText }), reference), { maxLength: 8 });
}

const noVariables = Variables.empty("pr");

describe("interpolation, for any input", () => {
  it("gives back a string without `$` unchanged", () => {
    fc.assert(
      fc.property(
        anyText.filter((s) => !s.includes("$")),
        (text) => interpolate(text, noVariables, recordingOrigin()) === text,
      ),
      RUNS,
    );
  });

  it("gives back any text whose dollars are doubled, and finds no variable in it", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(interpolate(escape(text), noVariables, recordingOrigin())).toBe(text);
        expect(referencedVariables(escape(text)).size).toBe(0);
      }),
      RUNS,
    );
  });

  it("substitutes every defined ${VAR} and $VAR with exactly its value, never re-reading the value", () => {
    const cases = definedVariables.chain((values) => fc.tuple(fc.constant(values), segmentsOver(Object.keys(values))));
    fc.assert(
      fc.property(cases, ([values, segments]) => {
        const { text, expected } = template(segments, values);
        const vars = Variables.empty("pr").with("file", values);
        expect(interpolate(text, vars, recordingOrigin())).toBe(expected);
        const used = segments.flatMap((s) => ("ref" in s ? [s.ref] : []));
        expect(referencedVariables(text)).toEqual(new Set(used));
      }),
      RUNS,
    );
  });

  it("refuses an undefined variable with a SpecError naming it, the field and where it is", () => {
    const cases = fc.record({ before: anyText, after: anyText, missing: name, braces: fc.boolean() });
    fc.assert(
      fc.property(cases, ({ before, after, missing, braces }) => {
        const reference = braces || /^[A-Za-z0-9_]/.test(after) ? `\${${missing}}` : `$${missing}`;
        const origin = recordingOrigin();
        let error: unknown;
        try {
          interpolate(`${escape(before)}${reference}${escape(after)}`, noVariables, origin);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(SpecError);
        expect((error as SpecError).message).toBe(`unknown variable ${reference} in boxes[0].values`);
        expect((error as SpecError).location).toEqual({ file: "environment.toml", line: 7, column: 3 });
        expect(origin.located).toEqual([reference]);
        expect((error as SpecError).hint).toContain(missing);
      }),
      RUNS,
    );
  });

  it("uses the default of ${VAR:-default} exactly when the variable is unset or empty", () => {
    // A literal `}` would end the default, so defaults are generated without one.
    const fallback = anyText.filter((s) => !s.includes("}"));
    const value = fc.option(anyText, { nil: undefined });
    fc.assert(
      fc.property(name, value, fallback, (variable, current, written) => {
        const vars = Variables.empty("pr").with("file", current === undefined ? {} : { [variable]: current });
        const expected = current === undefined || current === "" ? written : current;
        expect(interpolate(`\${${variable}:-${escape(written)}}`, vars, recordingOrigin())).toBe(expected);
      }),
      RUNS,
    );
  });

  it("ends, with a string or a SpecError, for any text, self-referencing defaults included", () => {
    const selfReferencing = fc
      .array(fc.constantFrom("${A:-", "${A}", "$A", "}", "$$", "$", "x", ":-", "{"), { maxLength: 40 })
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(fc.oneof(anyText, selfReferencing), (text) => endsWithStringOrSpecError(text)),
      { ...RUNS, numRuns: 2000 },
    );
  });

  it("ends with a SpecError, not a stack overflow, for defaults nested thousands deep", () => {
    const deeplyNested = fc.integer({ min: 1, max: 5_000 }).map((depth) => "${A:-".repeat(depth) + "}".repeat(depth));
    fc.assert(
      fc.property(deeplyNested, (text) => endsWithStringOrSpecError(text)),
      { ...RUNS, numRuns: 100 },
    );
  });
});

/** `text` expands (A is empty, so every default is taken) or is refused with a SpecError: nothing else. */
function endsWithStringOrSpecError(text: string): void {
  const vars = Variables.empty("pr").with("file", { A: "" });
  try {
    expect(typeof interpolate(text, vars, recordingOrigin())).toBe("string");
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
  }
}
