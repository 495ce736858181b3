import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    setupFiles: ["../../vitest.property-seed.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file starts its own servers (PGlite costs ~0.5–1 GB while starting): two at a time on two cores.
    maxWorkers: 2,
    pool: "forks",
  },
});
