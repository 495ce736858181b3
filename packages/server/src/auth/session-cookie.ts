import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";

/** The UI session cookie. Its value is 256 random bits, base64url (43 characters). */
export const SESSION_COOKIE = "cairn_session";
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * The first value of an `X-Forwarded-*` header. The server trusts these two headers
 * (proto and host) from whoever connects: they decide only whether the cookie gets
 * `Secure` and what the server's own origin is for the CSRF check below. A browser
 * cannot add them to a cross-site request without a CORS preflight (which is closed by
 * default), so they do not let a hostile page pass the Origin check; and a direct
 * client that forges them gains nothing it could not send anyway.
 */
function forwarded(c: Context, name: string): string | undefined {
  const v = c.req.header(name)?.split(",")[0]?.trim();
  return v ? v : undefined;
}

/** Whether the browser reached us over https: directly, or through a TLS-terminating proxy that says so. */
export function isHttps(c: Context): boolean {
  const proto = forwarded(c, "x-forwarded-proto")?.toLowerCase();
  if (proto) return proto === "https";
  return new URL(c.req.url).protocol === "https:";
}

/**
 * This server's origin as the browser sees it: the request URL's scheme and host, with
 * `X-Forwarded-Proto` / `X-Forwarded-Host` taking precedence when a proxy sets them.
 */
export function ownOrigin(c: Context): string | undefined {
  const url = new URL(c.req.url);
  const proto = forwarded(c, "x-forwarded-proto")?.toLowerCase() ?? url.protocol.slice(0, -1);
  const host = forwarded(c, "x-forwarded-host") ?? url.host;
  return originOf(`${proto}://${host}`);
}

function originOf(s: string): string | undefined {
  try {
    const o = new URL(s).origin;
    return o === "null" ? undefined : o;
  } catch {
    return undefined;
  }
}

/** The origin a browser says the request comes from: `Origin`, else `Referer`'s origin; `Origin: null` counts as none. */
export function callerOrigin(c: Context): string | undefined {
  const origin = c.req.header("origin");
  if (origin !== undefined) return origin === "null" ? undefined : originOf(origin);
  const referer = c.req.header("referer");
  return referer ? originOf(referer) : undefined;
}

/** Whether the request demonstrably comes from a page of this server's own origin. */
export function isSameOrigin(c: Context): boolean {
  const own = ownOrigin(c);
  const caller = callerOrigin(c);
  return own !== undefined && caller !== undefined && own === caller;
}

/** The session id from the cookie; `null` for a cookie that cannot be one of ours, undefined for none. */
export function readSessionCookie(c: Context): string | null | undefined {
  const v = getCookie(c, SESSION_COOKIE);
  if (v === undefined) return undefined;
  return SESSION_ID.test(v) ? v : null;
}

export function setSessionCookie(c: Context, id: string, maxAgeSeconds: number): void {
  const maxAge = Math.max(0, Math.floor(maxAgeSeconds));
  setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: "Strict", path: "/", maxAge, secure: isHttps(c) });
}

/** The Set-Cookie value that makes the browser drop the session cookie. */
export function clearedSessionCookie(c: Context): string {
  return `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict${isHttps(c) ? "; Secure" : ""}`;
}

export function clearSessionCookie(c: Context): void {
  c.header("set-cookie", clearedSessionCookie(c), { append: true });
}
