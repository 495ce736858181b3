import type { MiddlewareHandler } from "hono";
import { secureHeaders as honoSecureHeaders } from "hono/secure-headers";

/**
 * For the web UI and /docs: everything from our own origin (the Vite bundle, Swagger UI's
 * bundle and /docs/init.js), no inline script, inline styles allowed (React and Swagger UI set
 * style attributes), data: images (Swagger UI's icons). form-action keeps the login form's
 * post on this origin.
 */
export const UI_CSP =
  "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; img-src 'self' data:; " +
  "style-src 'self' 'unsafe-inline'; script-src 'self'; form-action 'self'";

/**
 * For everything that is not a UI page, above all stored user content (artifacts): nothing may
 * load or run, and `sandbox` gives the document an opaque origin, so an uploaded HTML or SVG
 * file opened from the API cannot script the UI's origin or read its cookies.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox";

export type SecureHeadersOptions = {
  /**
   * Whether this app serves HTML pages (the web UI, /docs). When true, `text/html` responses
   * outside `apiPrefix` get UI_CSP; every other response gets API_CSP.
   */
  ui: boolean;
  /** HTML under this prefix is user content, never a UI page. Default "/api/". */
  apiPrefix?: string;
  /**
   * Send Strict-Transport-Security. Off by default: the server usually speaks plain HTTP on
   * loopback or behind a TLS proxy, and HSTS pinned on a shared domain is hard to undo.
   */
  hsts?: boolean;
};

/**
 * Hono's secureHeaders for the fixed headers (nosniff, no-referrer, X-Frame-Options DENY,
 * CORP same-origin, COOP, …), plus a CSP chosen per response: one static CSP cannot both let
 * the UI run its bundle and stop an artifact download from running anything.
 */
export function secureHeaders({ ui, apiPrefix = "/api/", hsts = false }: SecureHeadersOptions): MiddlewareHandler {
  const base = honoSecureHeaders({
    xFrameOptions: "DENY",
    referrerPolicy: "no-referrer",
    xContentTypeOptions: "nosniff",
    crossOriginResourcePolicy: "same-origin",
    strictTransportSecurity: hsts,
  });
  return async function secureHeadersMiddleware(c, next) {
    await base(c, next);
    const uiPage = ui && !c.req.path.startsWith(apiPrefix) && isHtml(c.res.headers.get("content-type"));
    c.res.headers.set("content-security-policy", uiPage ? UI_CSP : API_CSP);
  };
}

function isHtml(contentType: string | null): boolean {
  return contentType !== null && /^\s*text\/html\s*(;|$)/i.test(contentType);
}
