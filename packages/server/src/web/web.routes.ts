import fs from "node:fs";
import path from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { findUp } from "../find-up.js";
import type { AppEnv } from "../http/context.js";

/** The built web UI: packages/web/dist beside this package unless configured. */
export function findWebDir(configured?: string): string | undefined {
  if (configured) return path.resolve(configured);
  return findUp(path.join("web", "dist"), "index.html");
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
