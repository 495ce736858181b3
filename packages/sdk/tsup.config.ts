import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

export default defineConfig({
  // index: the browser-safe SDK (Node-only parts are reached through dynamic import()).
  // cli: the `cairn` binary. Node helpers are split into their own chunks by the dynamic imports.
  entry: { index: "src/index.ts", cli: "src/cli.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts" } },
  sourcemap: true,
  clean: true,
  splitting: true,
  target: "es2022",
  // Nothing is bundled (dependencies stay external), so the platform does not change what a
  // browser bundler gets from dist/index.js; keeping `node:` makes Node-only imports obvious.
  platform: "node",
  removeNodeProtocol: false,
  define: { __CAIRN_SDK_VERSION__: JSON.stringify(pkg.version) },
});
