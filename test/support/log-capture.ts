import { Writable } from "node:stream";

/** A log destination that keeps every line prbox writes, for assertions on its logs. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(chunk.toString("utf8"));
    done();
  }
}
