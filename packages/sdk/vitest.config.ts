import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["../../vitest.property-seed.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e files each start their own server (PGlite is memory-hungry): don't run them all at once.
    fileParallelism: false,
  },
});
