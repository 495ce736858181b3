import { OpenAPIHono } from "@hono/zod-openapi";
import type { AuditEvent } from "@cairn/core";
import type { AppEnv } from "../http/context.js";
import { problemResponse, toHttpError } from "../http/problem.js";
import type { ServerContext } from "../server-context.js";
import { auditRoutes } from "./audit.routes.js";

/**
 * The audit routes alone, in process, with the error mapping of the real app but without its
 * authentication: the route behaviour is tested here, authorisation by the auth suite.
 */
export function auditApp(ctx: ServerContext) {
  const app = new OpenAPIHono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("ctx", ctx);
    c.set("log", ctx.log);
    c.set("requestId", "audit-test");
    // The audit routes themselves, as an all-projects admin (authentication is tested in src/auth).
    c.set("actor", { keyId: null, name: "audit-test admin", role: "admin", projects: "*", via: "open" });
    await next();
  });
  app.route("/api/v1", auditRoutes);
  app.onError((err, c) => problemResponse(c, toHttpError(err)));
  return app;
}

/** Reads a JSON Lines body chunk by chunk, as an offline verifier of a large export would. */
export async function readNdjson(res: Response): Promise<AuditEvent[]> {
  if (res.status !== 200) throw new Error(`export failed: ${res.status} ${await res.text()}`);
  const out: AuditEvent[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) out.push(JSON.parse(line) as AuditEvent);
  }
  if (buffered !== "") throw new Error("export ended mid-line");
  return out;
}
