import { execFileSync } from "node:child_process";
import os from "node:os";

/** One line naming the machine the figures were taken on, and how busy it was. */
export function machineLine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, " ").trim() ?? "unknown CPU";
  const memory = (os.totalmem() / 1024 ** 3).toFixed(0);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  return `${String(cpus.length)} cores (${model}), ${memory} GiB, ${os.type()} ${os.release()}, node ${process.version}, load average at start ${load}`;
}

export function toolVersion(bin: string, args: readonly string[]): string {
  try {
    return (
      execFileSync(bin, [...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
        .trim()
        .split("\n")[0] ?? "?"
    );
  } catch {
    return "not found";
  }
}
