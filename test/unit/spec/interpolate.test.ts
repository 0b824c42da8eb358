import { describe, expect, it } from "vitest";
import { SpecError } from "../../../src/errors.js";
import { interpolate, referencedVariables } from "../../../src/spec/interpolate.js";
import { Variables } from "../../../src/spec/variables.js";

const origin = { field: "boxes[0].values", locate: () => ({ file: "environment.toml", line: 3, column: 9 }) };
const vars = Variables.empty("cli").with("file", { NAME: "api", EMPTY: "", TAG: "1.2" });
const expand = (text: string) => interpolate(text, vars, origin);

describe("interpolation", () => {
  it("expands ${VAR} and $VAR", () => {
    expect(expand("${NAME}-svc")).toBe("api-svc");
    expect(expand("$NAME/$TAG")).toBe("api/1.2");
  });

  it("uses the default of ${VAR:-default} when the variable is unset or empty", () => {
    expect(expand("${MISSING:-fallback}")).toBe("fallback");
    expect(expand("${EMPTY:-fallback}")).toBe("fallback");
    expect(expand("${NAME:-fallback}")).toBe("api");
    expect(expand("${MISSING:-}")).toBe("");
  });

  it("expands references inside a default", () => {
    expect(expand("${MISSING:-${NAME}-default}")).toBe("api-default");
  });

  it("turns $$ into a literal dollar and leaves a lone $ alone", () => {
    expect(expand("$${NAME}")).toBe("${NAME}");
    expect(expand("cost: 5$ or $$5")).toBe("cost: 5$ or $5");
    expect(expand("$")).toBe("$");
  });

  it("refuses an unknown variable, naming it and the field, instead of substituting an empty string", () => {
    const error = (() => {
      try {
        expand("svc-${NOPE}");
      } catch (e) {
        return e as SpecError;
      }
      throw new Error("no error");
    })();
    expect(error).toBeInstanceOf(SpecError);
    expect(error.message).toBe("unknown variable ${NOPE} in boxes[0].values");
    expect(error.location).toEqual({ file: "environment.toml", line: 3, column: 9 });
    expect(error.hint).toContain("--set NOPE=VALUE");
  });

  it("refuses a $VAR reference to an unknown variable too", () => {
    expect(() => expand("$NOPE")).toThrow("unknown variable $NOPE in boxes[0].values");
  });

  it("refuses unterminated and malformed references", () => {
    expect(() => expand("${NAME")).toThrow(/no closing/);
    expect(() => expand("${1X}")).toThrow(/invalid variable reference/);
    expect(() => expand("${NAME-x}")).toThrow(/only `\$\{NAME\}` and `\$\{NAME:-default\}`/);
  });

  it("lets later sources win: --set over built-ins over the process over the variables file", () => {
    const layered = Variables.empty("cli")
      .with("file", { A: "file", B: "file", C: "file", D: "file" })
      .with("process", { B: "process", C: "process", D: "process" })
      .with("builtin", { C: "builtin", D: "builtin" })
      .with("set", { D: "set" });
    expect(["A", "B", "C", "D"].map((n) => layered.get(n))).toEqual(["file", "process", "builtin", "set"]);
  });

  it("never reads the process environment in PR mode", () => {
    const pr = Variables.empty("pr").with("process", { WEBHOOK_SECRET: "s3cr3t" });
    expect(pr.get("WEBHOOK_SECRET")).toBeUndefined();
    expect(() => interpolate("${WEBHOOK_SECRET}", pr, origin)).toThrow(/unknown variable \$\{WEBHOOK_SECRET\}/);
    expect(pr.unknownHint("WEBHOOK_SECRET")).toContain("never the bot's environment");
  });

  // Found by interpolate.property.test.ts: `$$` before `{` in a default opened a nested reference.
  it("keeps an escaped dollar inside a default literal, even before a brace", () => {
    expect(expand("${MISSING:-$${}")).toBe("${");
    expect(expand("${MISSING:-$${B}x}")).toBe("${Bx}");
  });

  // Found by interpolate.property.test.ts: 5000 nested defaults overflowed the stack (a RangeError, not a SpecError).
  it("refuses defaults nested deeper than 16 levels with a SpecError, not a stack overflow", () => {
    const nested = (depth: number) => `\${MISSING:-`.repeat(depth) + "x" + "}".repeat(depth);
    expect(expand(nested(16))).toBe("x");
    expect(() => expand(nested(17))).toThrow(/defaults nest deeper than 16 levels/);
    expect(() => expand(nested(5000))).toThrow(SpecError);
  });

  it("finds the variables a string refers to, not escaped ones", () => {
    expect([...referencedVariables("${A}-$B-$${C}-${D:-${E}}")].sort()).toEqual(["A", "B", "D", "E"]);
  });
});
