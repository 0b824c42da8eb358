import type { Benchmark } from "./run.js";
export const peersBenchmark: Benchmark = { name: "peers", title: "peers", run: async () => "todo" };
