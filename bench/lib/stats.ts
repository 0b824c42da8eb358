// Small statistics and formatting helpers shared by the benchmarks: medians of several runs,
// percentiles of samples, ratios, and markdown tables.

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The p-th percentile (nearest rank on the sorted samples); NaN for no samples. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function ms(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

export function seconds(valueMs: number, digits = 2): string {
  return Number.isFinite(valueMs) ? (valueMs / 1000).toFixed(digits) : "–";
}

export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "–";
}

export function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

/** A markdown table; the first column left-aligned, the figures right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const align = headers.map((_, i) => (i === 0 ? "---" : "---:"));
  return [`| ${headers.join(" | ")} |`, `|${align.join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** ✅ or ❌ for a goal, with the goal's words. */
export function verdict(met: boolean, goal: string): string {
  return `${met ? "✅ met" : "❌ not met"}: ${goal}`;
}

/** The median duration (ms) of `runs` calls of fn, after one warm-up call. */
export async function medianTime(fn: () => Promise<unknown>, runs: number): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}
