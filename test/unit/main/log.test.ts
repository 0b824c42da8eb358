import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { createLogger, logFormat } from "../../../src/log.js";
import { LogCapture } from "../../support/log-capture.js";

/** The first line written to the capture: pino-pretty formats in a stream of its own, after the call. */
async function firstLine(capture: LogCapture): Promise<string> {
  while (capture.lines.length === 0) await once(capture, "written");
  return capture.lines[0] as string;
}

class SignallingCapture extends LogCapture {
  override _write(chunk: Buffer, encoding: string, done: () => void): void {
    super._write(chunk, encoding, () => {
      done();
      this.emit("written");
    });
  }
}

describe("logFormat", () => {
  it("is readable for a person at a terminal", () => {
    expect(logFormat({ isTTY: true }, {})).toBe("pretty");
    expect(logFormat({ isTTY: true }, { NODE_ENV: "development" })).toBe("pretty");
  });

  it("is JSON when stdout is a pipe or a file, and always in production", () => {
    expect(logFormat({ isTTY: false }, {})).toBe("json");
    expect(logFormat({}, {})).toBe("json");
    expect(logFormat({ isTTY: true }, { NODE_ENV: "production" })).toBe("json");
  });
});

describe("createLogger", () => {
  it("writes one JSON object per line by default", async () => {
    const capture = new SignallingCapture();
    createLogger({ destination: capture }).info({ port: 3000 }, "webhook server listening");
    const record = JSON.parse(await firstLine(capture)) as { msg: string; port: number; level: number };
    expect(record).toMatchObject({ msg: "webhook server listening", port: 3000, level: 30 });
  });

  it("writes readable lines in the pretty format, with the same values redacted", async () => {
    const capture = new SignallingCapture();
    createLogger({ destination: capture, format: "pretty" }).info(
      { port: 3000, token: "ghs_very_secret" },
      "webhook server listening",
    );
    const line = await firstLine(capture);
    expect(() => JSON.parse(line)).toThrow();
    expect(line).toContain("INFO");
    expect(line).toContain("webhook server listening");
    expect(line).toContain("port");
    expect(line).toContain("[redacted]");
    expect(line).not.toContain("ghs_very_secret");
  });
});
