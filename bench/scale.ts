import type { Benchmark } from "./run.js";
export const scaleBenchmark: Benchmark = { name: "scale", title: "scale", run: async () => "todo" };
