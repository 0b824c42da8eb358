import { z } from "zod";
import { parseDuration } from "./durations.js";

// The helpers below record their input format (and default) as metadata: the transforms hide
// them from the schema, and docs/configuration.md is generated from it (scripts/docs.ts).
export const list = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .meta({ format: "comma-separated list" });

export const duration = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const ms = parseDuration(value ?? fallback);
      if (ms === null) {
        ctx.addIssue({ code: "custom", message: `"${value}" is not a duration; write e.g. 90s, 5m, 72h` });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ format: "duration (90s, 5m, 1h30m; a bare number is seconds)", defaultValue: fallback });

export const count = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const n = value === undefined || value === "" ? fallback : Number(value);
      if (!Number.isSafeInteger(n) || n < 0) {
        ctx.addIssue({ code: "custom", message: `"${value}" is not a whole number ≥ 0` });
        return z.NEVER;
      }
      return n;
    })
    .meta({ format: "whole number ≥ 0", defaultValue: String(fallback) });

export const flag = z
  .enum(["true", "false", "1", "0", "yes", "no", ""], { error: "expected true or false" })
  .optional()
  .transform((value) => value === "true" || value === "1" || value === "yes")
  .meta({ format: "true or false (also 1/0, yes/no)", defaultValue: "false" });

/** A flag that is on unless set to false. */
export const flagOn = z
  .enum(["true", "false", "1", "0", "yes", "no", ""], { error: "expected true or false" })
  .optional()
  .transform((value) => value === undefined || value === "" || value === "true" || value === "1" || value === "yes")
  .meta({ format: "true or false (also 1/0, yes/no)", defaultValue: "true" });

/** A price: a decimal number ≥ 0 (e.g. 0.0316); absent: no price. */
export const price = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value === "") return null;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || !/^[0-9.]+$/.test(value)) {
      ctx.addIssue({ code: "custom", message: `"${value}" is not a price; write a decimal number such as 0.0316` });
      return z.NEVER;
    }
    return n;
  })
  .meta({ format: "decimal number ≥ 0" });

/** PRBOX_PRICE_*: what a requested CPU and GiB cost per hour. */
export interface Prices {
  cpuHour: number;
  gibHour: number;
  currency: string;
}
