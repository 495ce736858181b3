#!/usr/bin/env node
// The `cairn` command. A committed file rather than dist/cli.js itself: npm links a package's
// bin only when the file exists at install time, and in a fresh clone dist/ is built after
// `npm install`, so `npx cairn` from the repository root found no command.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  console.error("cairn: the SDK is not built yet; run `npm run build` (or `npm start`) in the Cairn repository first");
  process.exit(2);
}
await import(cli.href);
