import { Hono } from "hono";
import type { AppEnv } from "../context.js";
import { problemResponse, toHttpError } from "../problem.js";

/** A bare app with the real onError's mapping and a request id, for middleware unit tests. */
export function testApp() {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("requestId", "req-test");
    await next();
  });
  app.onError((err, c) => problemResponse(c, toHttpError(err)));
  return app;
}

export type ProblemBody = { status: number; code: string; requestId?: string; detail: string; errors?: { path: string; message: string }[] };
