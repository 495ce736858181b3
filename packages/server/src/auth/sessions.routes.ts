import { createRoute } from "@hono/zod-openapi";
import { Problem, WhoAmI } from "@cairn/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../http/context.js";
import { ForbiddenError } from "../http/errors.js";
import { clientAddress } from "../http/limits/index.js";
import { createRouter, jsonBody, jsonResponse, problems } from "../http/openapi.js";
import { clearSessionCookie, isSameOrigin, readSessionCookie, setSessionCookie } from "./session-cookie.js";
import { createSession, deleteSession, toWhoAmI, type RequestInfo } from "./sessions.service.js";

/** The login request: an API key, exchanged for a session cookie. */
export const CreateSession = z
  .object({ key: z.string().min(1).max(300).describe("An API key (`cairn_…`); it is not stored in the session") })
  .strict()
  .meta({ id: "CreateSession" });

const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: Problem } } });

const SET_COOKIE = {
  "Set-Cookie": {
    description: "`cairn_session=<id>; HttpOnly; SameSite=Strict; Path=/; Max-Age=…` (plus `Secure` over https)",
    schema: { type: "string" as const },
  },
};

export function requestInfo(c: Context<AppEnv>): RequestInfo {
  return { requestId: c.get("requestId"), ip: clientAddress(c), userAgent: c.req.header("user-agent")?.slice(0, 300) };
}

/**
 * Logging in takes no credentials (authenticate lets exactly this route through), so it
 * checks login CSRF itself: a browser request from another origin may not plant a session
 * (of the attacker's key) in the victim's browser. Clients that send neither Origin nor
 * Referer (the CLI, curl) are not browsers and pass.
 */
function refuseCrossSiteLogin(c: Context<AppEnv>): void {
  const claimsOrigin = c.req.header("origin") !== undefined || c.req.header("referer") !== undefined;
  if (claimsOrigin && !isSameOrigin(c)) throw new ForbiddenError("cross-site request refused");
}

export const sessionsRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/session",
      tags: ["keys"],
      summary: "Log in: exchange an API key for a UI session cookie (no Authorization header needed)",
      description:
        "Sets an HttpOnly, SameSite=Strict cookie (Secure over https) valid for CAIRN_SESSION_TTL_HOURS, never past the key's " +
        "expiry, and ended by revoking the key. Requests authenticated by the cookie that change state must carry an `Origin` " +
        "(or `Referer`) of this server.",
      request: { body: jsonBody(CreateSession) },
      responses: {
        200: { ...jsonResponse(WhoAmI, "The key the session acts as"), headers: SET_COOKIE },
        401: problem("Unknown, revoked or expired key"),
        403: problem("Cross-site request refused"),
        ...problems,
      },
    }),
    async (c) => {
      refuseCrossSiteLogin(c);
      const created = await createSession({ ctx: c.get("ctx"), secret: c.req.valid("json").key, request: requestInfo(c) });
      setSessionCookie(c, created.id, created.maxAgeSeconds);
      c.header("cache-control", "no-store");
      return c.json(toWhoAmI(created.key, "session"), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/session",
      tags: ["keys"],
      summary: "Log out: end the session of the cookie sent and clear the cookie",
      responses: {
        204: { description: "Logged out; the cookie is cleared", headers: SET_COOKIE },
        401: problem("No valid credentials"),
        403: problem("Cross-site request refused"),
        ...problems,
      },
    }),
    async (c) => {
      const id = readSessionCookie(c);
      if (id) await deleteSession({ ctx: c.get("ctx"), id, actor: c.get("actor") });
      clearSessionCookie(c);
      return c.body(null, 204);
    },
  );
