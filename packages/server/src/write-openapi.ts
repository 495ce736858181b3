import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createApiRouter } from "./app.js";
import { buildOpenApiDocument } from "./docs/openapi-document.js";

/** Writes packages/server/openapi.json; CI compares it with the committed file. */
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "openapi.json");
fs.writeFileSync(out, JSON.stringify(buildOpenApiDocument(createApiRouter()), null, 2) + "\n");
process.stdout.write(`wrote ${out}\n`);
