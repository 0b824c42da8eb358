import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/helm.ts", "test/setup/redis.ts", "test/setup/cluster.ts"],
    setupFiles: ["test/setup/env.ts"],
    // helm and the API server are real processes: give them time, measure speed in bench/ instead.
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
