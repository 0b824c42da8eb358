import { defineConfig } from "vitest/config";

// Two projects (docs/architecture.md §6): `unit` is pure code and needs nothing running;
// `integration` (test/integration and test/e2e) gets the real helm, Redis and Kubernetes control
// plane, started once per run by the global setups and stopped after it.
export default defineConfig({
  test: {
    // helm and the API server are real processes: give them time, measure speed in bench/ instead.
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
          globalSetup: ["test/setup/helm.ts", "test/setup/redis.ts", "test/setup/cluster.ts"],
          setupFiles: ["test/setup/env.ts"],
        },
      },
    ],
  },
});
