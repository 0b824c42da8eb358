import { createRequire } from "node:module";
import type { Logger as PinoLogger } from "pino";
import type { PrettyOptions } from "pino-pretty";

// pino and pino-pretty load when a logger is created, not with this module: the cluster code
// imports silentLogger from here, and `prbox run` would otherwise pay for both (about 30 ms each).
const requireLazily = createRequire(import.meta.url);

/** The little prbox needs from a logger; pino's Logger satisfies it, tests can pass their own. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Keys whose values never reach a log line, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  "token",
  "*.token",
  "privateKey",
  "*.privateKey",
  "secret",
  "*.secret",
  "password",
  "*.password",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  'headers["x-gitlab-token"]',
  '*.headers["x-gitlab-token"]',
];

/** "pretty": one readable line per record, for a person at a terminal; "json": one JSON object per line, for log collectors. */
export type LogFormat = "json" | "pretty";

/** Readable lines when stdout is a terminal, JSON when it is not (a pipe, a file, a container's log) or NODE_ENV is production. */
export function logFormat(stdout: { isTTY?: boolean }, env: Record<string, string | undefined>): LogFormat {
  return stdout.isTTY === true && env.NODE_ENV !== "production" ? "pretty" : "json";
}

export interface LoggerOptions {
  level?: string;
  /** Where the lines go; stdout by default. */
  destination?: NodeJS.WritableStream;
  /** By default "json" for a given destination and logFormat(process.stdout, process.env) for stdout. */
  format?: LogFormat;
}

export function createLogger(options: LoggerOptions = {}): PinoLogger {
  const { pino } = requireLazily("pino") as typeof import("pino");
  const settings = {
    level: options.level ?? "info",
    // Redaction happens in pino, before a line is formatted: the readable form hides the same values.
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  };
  const format = options.format ?? (options.destination ? "json" : logFormat(process.stdout, process.env));
  if (format === "pretty") {
    const pretty = requireLazily("pino-pretty") as typeof import("pino-pretty");
    // sync: the last lines ("stopped") are written before the process exits.
    const prettyOptions: PrettyOptions = {
      sync: true,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
      destination: options.destination ?? 1,
    };
    return pino(settings, pretty(prettyOptions));
  }
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** A logger that drops everything: the default for library calls made without one. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
