import { createRequire } from "node:module";
import path from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import type { AppEnv } from "../http/context.js";

// Swagger UI's bundle is served from our own origin: the docs must work offline.
const swaggerDir = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cairn API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui", deepLinking: true, tryItOutEnabled: true });`;

export function docsRoutes(document: () => unknown) {
  return new Hono<AppEnv>()
    .get("/openapi.json", (c) => c.json(document()))
    .get("/docs", (c) => c.html(PAGE))
    .get("/docs/init.js", (c) => c.body(INIT, 200, { "content-type": "text/javascript; charset=utf-8" }))
    .get("/docs/assets/*", serveStatic({ root: swaggerDir, rewriteRequestPath: (p) => p.replace(/^\/docs\/assets/, "") }));
}
