import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../http/context.js";

/** /healthz: the process is up. /readyz: the database answers and migrations are applied. */
export const healthRoutes = new Hono<AppEnv>()
  .get("/healthz", (c) => c.json({ status: "ok" }))
  .get("/readyz", async (c) => {
    const ctx = c.get("ctx");
    if (ctx.state.shuttingDown) return c.json({ status: "shutting down" }, 503);
    if (!ctx.state.migrated) return c.json({ status: "migrating" }, 503);
    try {
      await ctx.db.orm.execute(sql`select 1`);
      return c.json({ status: "ready", database: ctx.db.driver });
    } catch (err) {
      c.get("log").warn({ err }, "readiness check: database unreachable");
      return c.json({ status: "database unreachable" }, 503);
    }
  });
