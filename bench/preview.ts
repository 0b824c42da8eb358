import type { Benchmark } from "./run.js";
export const previewBenchmark: Benchmark = { name: "preview", title: "preview", run: async () => "todo" };
