import { createMetrics } from "../../src/server/metrics.js";
import { code, table } from "./markdown.js";

const DEFAULT_PREFIX = "prbox_process_";

/** What a registered prom-client metric object carries besides MetricObject's typed fields. */
interface Registered {
  name: string;
  help: string;
  type: string;
  labelNames: string[];
  upperBounds?: number[];
}

function bucketsOf(metric: Registered): string {
  return metric.upperBounds ? ` Buckets (seconds): ${metric.upperBounds.join(", ")}.` : "";
}

/** prbox's own metrics as /metrics serves them, read from the registry src/server/metrics.ts builds. */
export function metricsTable(): string {
  const { registry } = createMetrics();
  const all = registry.getMetricsAsArray() as unknown as Registered[];
  const own = all.filter((m) => !m.name.startsWith(DEFAULT_PREFIX));
  registry.clear();
  const rows = own.map((m) => [code(m.name), m.type, m.labelNames.map(code).join(", "), `${m.help}.${bucketsOf(m)}`]);
  return [
    table(["Metric", "Type", "Labels", "Meaning"], rows),
    "",
    // The default collectors differ between platforms (open file descriptors exist on Linux only): name the prefix, not the list.
    `Besides these, the Node.js process metrics of prom-client's default collectors (CPU, memory, event-loop lag, heap, garbage collection), prefixed \`${DEFAULT_PREFIX}\`, e.g. \`${DEFAULT_PREFIX}process_cpu_seconds_total\`.`,
  ].join("\n");
}
