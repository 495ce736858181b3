import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../http/context.js";

const READY_TIMEOUT_MS = 2_000;

/** /healthz: the process is up. /readyz: the database answers and migrations are applied. */
export const healthRoutes = new Hono<AppEnv>()
  .get("/healthz", (c) => c.json({ status: "ok" }))
  .get("/readyz", async (c) => {
    const ctx = c.get("ctx");
    if (ctx.state.shuttingDown) return c.json({ status: "shutting down" }, 503);
    if (!ctx.state.migrated) return c.json({ status: "migrating" }, 503);
    // Bounded: a readiness probe that waits on a database that is away tells nobody anything
    // (a load balancer's probe times out instead of reading 503).
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        ctx.db.orm.execute(sql`select 1`),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from the database in ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
        }),
      ]);
      return c.json({ status: "ready", database: ctx.db.driver });
    } catch (err) {
      c.get("log").warn({ err }, "readiness check: database unreachable");
      return c.json({ status: "database unreachable" }, 503);
    } finally {
      clearTimeout(timer);
    }
  });
