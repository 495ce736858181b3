import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      // Until @cairn/server lists "./testing" in its package exports, resolve the built harness directly.
      "@cairn/server/testing": fileURLToPath(new URL("../server/dist/testing.js", import.meta.url)),
    },
  },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e files each start their own server (PGlite is memory-hungry): don't run them all at once.
    fileParallelism: false,
  },
});
