import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import type { AppEnv } from "../http/context.js";

/** The built web UI: packages/web/dist beside this package unless configured. */
export function findWebDir(configured?: string): string | undefined {
  if (configured) return path.resolve(configured);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, "web", "dist");
    if (fs.existsSync(path.join(candidate, "index.html"))) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

/** Static files, then index.html for any other GET (client-side routes). Registered after the API. */
export function webRoutes(webDir: string | undefined) {
  const app = new Hono<AppEnv>();
  if (!webDir) {
    return app.get("/", (c) => c.html("<h1>Cairn</h1><p>The web UI is not built: run <code>npm run build</code>. The API is at <a href=\"/docs\">/docs</a>.</p>"));
  }
  const index = () => fs.readFileSync(path.join(webDir, "index.html"), "utf8");
  return app
    .use("/*", serveStatic({ root: webDir }))
    .get("*", (c) => (c.req.path.startsWith("/api/") ? c.notFound() : c.html(index())));
}
