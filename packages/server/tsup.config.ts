import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/main.ts", "src/testing.ts", "src/write-openapi.ts"],
  format: ["esm"],
  dts: { entry: ["src/index.ts", "src/testing.ts"] },
  sourcemap: true,
  clean: true,
  target: "node20",
  banner: { js: "" },
});
