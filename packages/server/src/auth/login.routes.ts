import { Hono } from "hono";
import type { AppEnv } from "../http/context.js";
import { UnauthorizedError } from "../http/errors.js";
import { recordDenial } from "./denials.js";
import { setSessionCookie } from "./session-cookie.js";
import { requestInfo } from "./sessions.routes.js";
import { createSession } from "./sessions.service.js";

/**
 * The UI's way in (issue 3, parts 3 and 4). `GET /login?token=<key>` is the link the
 * start-up banner prints: it exchanges the key for a session cookie, exactly like
 * `POST /api/v1/session`, and redirects (303) to the UI, so the token leaves the address
 * bar at once. The access log records the path only, never the query string. Without a
 * token, or with a bad one, it shows a small form that posts the key with fetch.
 *
 * The page runs no inline script (the UI's CSP forbids it): its script is /login.js.
 */

const page = (message?: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Log in · Cairn</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; background: #f6f7f9; color: #1d2330; }
  form { background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); width: min(28rem, 90vw); }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  label { display: block; margin-bottom: .3rem; }
  input { box-sizing: border-box; width: 100%; padding: .5rem; font: inherit; font-family: ui-monospace, monospace; }
  button { margin-top: 1rem; padding: .5rem 1.2rem; font: inherit; cursor: pointer; }
  p.message { color: #b3261e; min-height: 1.5em; margin: .8rem 0 0; }
  p.hint { color: #5b6472; font-size: .85rem; margin: 1rem 0 0; }
</style>
</head>
<body>
<form id="login" method="post" action="/api/v1/session">
  <h1>Log in to Cairn</h1>
  <label for="key">API key</label>
  <input id="key" name="key" type="password" autocomplete="current-password" placeholder="cairn_…" required autofocus>
  <button type="submit">Log in</button>
  <p class="message" id="message" role="alert">${message ?? ""}</p>
  <p class="hint">The first admin key is printed when the server starts and saved in its data directory (<code>admin-token</code>).
  Make more with <code>cairn keys create</code>.</p>
</form>
<script src="/login.js"></script>
</body>
</html>
`;

const LOGIN_JS = `"use strict";
(function () {
  // Drop a (bad) token from the address bar and the history entry.
  if (location.search) history.replaceState(null, "", location.pathname);
  var form = document.getElementById("login");
  var message = document.getElementById("message");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    message.textContent = "";
    var key = form.elements.key.value.trim();
    fetch("/api/v1/session", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: key }),
      credentials: "same-origin",
    }).then(function (res) {
      if (res.ok) return location.replace("/");
      return res.json().catch(function () { return null; }).then(function (problem) {
        message.textContent = res.status === 401
          ? "That key is unknown, revoked or expired."
          : (problem && problem.detail) || "Login failed (" + res.status + ").";
      });
    }, function () {
      message.textContent = "Could not reach the server.";
    });
  });
})();
`;

const BAD_TOKEN = "That login link is not valid: its key is unknown, revoked or expired. Paste a key instead.";

export const loginRoutes = new Hono<AppEnv>()
  .get("/login", async (c) => {
    const ctx = c.get("ctx");
    c.header("cache-control", "no-store");
    if (!ctx.config.auth) return c.redirect("/", 303);
    const token = c.req.query("token");
    if (token === undefined) return c.html(page());
    try {
      if (token.length > 300) throw new UnauthorizedError("unknown, revoked or expired API key");
      const created = await createSession({ ctx, secret: token, request: requestInfo(c) });
      setSessionCookie(c, created.id, created.maxAgeSeconds);
      return c.redirect("/", 303);
    } catch (e) {
      if (!(e instanceof UnauthorizedError)) throw e;
      // A refused login is evidence like any refused API call; the page itself is a 200.
      await recordDenial(ctx, c, e).catch((err: unknown) => c.get("log").warn({ err }, "could not audit a refused login"));
      return c.html(page(BAD_TOKEN), 200);
    }
  })
  .get("/login.js", (c) => c.body(LOGIN_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }));
