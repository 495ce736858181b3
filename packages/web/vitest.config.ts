import { defineConfig } from "vitest/config";

// Browser tests: one Chromium and one server per file, files one after another (two cores
// here; parallel browsers only make every test slower and flakier).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 90_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
