import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { startServer } from "../server.js";
import { testDrivers } from "../testing.js";
import { call, uniqueName, useServer, type Reply } from "../../test/support.js";

/** Issue 3, parts 3 and 4: the UI's session cookie, its CSRF defence and the login URL. */

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

function sessionSetCookie(r: { headers: Headers }): string | undefined {
  return r.headers.getSetCookie().find((s) => s.startsWith("cairn_session="));
}

/** `cairn_session=<id>` from a login response, ready for a Cookie header. */
function cookieOf(r: { headers: Headers }): string {
  const set = sessionSetCookie(r);
  if (!set) throw new Error(`no session cookie in ${JSON.stringify(r.headers.getSetCookie())}`);
  return set.split(";")[0]!;
}

const attributes = (setCookie: string) => setCookie.split(";").slice(1).map((a) => a.trim());

async function login(url: string, key: string, headers: Record<string, string> = {}): Promise<Reply> {
  return call({ url }, "POST", "/api/v1/session", { key }, headers);
}

/** A fetch that does not follow redirects, for /login. */
async function getLogin(url: string, query = ""): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${url}/login${query}`, { redirect: "manual" });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe.each(testDrivers)("UI sessions (%s)", (driver) => {
  const srv = useServer(driver);
  const anon = () => ({ url: srv().url });
  const newKey = async (role: string, extra: Record<string, unknown> = {}) =>
    (await call(srv(), "POST", "/api/v1/keys", { name: uniqueName("k"), role, projects: "*", ...extra })).body;

  it("logs in without an Authorization header and sets a strict, HttpOnly cookie (Secure only over https)", async () => {
    const r = await login(srv().url, srv().apiKey);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ role: "admin", projects: "*", via: "session", name: "bootstrap admin" });
    expect(r.body.keyId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.get("cache-control")).toBe("no-store");
    const set = sessionSetCookie(r)!;
    const attrs = attributes(set);
    expect(attrs).toEqual(expect.arrayContaining(["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"]));
    expect(attrs).not.toContain("Secure");
    expect(attrs.some((a) => /^Domain=/i.test(a))).toBe(false);

    const id = cookieOf(r).slice("cairn_session=".length);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits
    // Only the hash is stored.
    const rows = await srv().query<{ id_hash: string }>("select id_hash from sessions");
    expect(rows.map((x) => x.id_hash)).toContain(sha256(id));
    expect(JSON.stringify(rows)).not.toContain(id);

    const https = await login(srv().url, srv().apiKey, { "x-forwarded-proto": "https" });
    expect(https.status).toBe(200);
    expect(attributes(sessionSetCookie(https)!)).toEqual(expect.arrayContaining(["Secure", "HttpOnly", "SameSite=Strict"]));
  });

  it("authenticates API calls with the cookie, as the key it was made from", async () => {
    const reader = await newKey("reader");
    const cookie = cookieOf(await login(srv().url, reader.secret));
    const me = await call(anon(), "GET", "/api/v1/whoami", undefined, { cookie });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ keyId: reader.id, name: reader.name, role: "reader", projects: "*", via: "session" });
    // The key's role still applies.
    const denied = await call(anon(), "POST", "/api/v1/projects", { name: uniqueName() }, { cookie, origin: srv().url });
    expect(denied.status).toBe(403);
    // Without cookie or key: 401.
    expect((await call(anon(), "GET", "/api/v1/whoami")).status).toBe(401);
  });

  it("refuses cookie-authenticated writes that do not come from this server's own origin, and writes nothing", async () => {
    const cookie = cookieOf(await login(srv().url, srv().apiKey));
    const own = srv().url; // http://127.0.0.1:<port>
    const exists = async (name: string) => (await call(srv(), "GET", `/api/v1/projects/${name}`)).status === 200;

    const hostile: Array<[string, Record<string, string>]> = [
      ["foreign Origin", { origin: "https://evil.example" }],
      ["same host, other port", { origin: own.replace(/:\d+$/, ":1") }],
      ["same host, https", { origin: own.replace("http:", "https:") }],
      ["Origin: null", { origin: "null" }],
      ["foreign Referer only", { referer: "https://evil.example/page" }],
      ["no Origin or Referer", {}],
      ["own Referer but foreign Origin", { origin: "https://evil.example", referer: `${own}/runs` }],
    ];
    for (const [what, headers] of hostile) {
      const name = uniqueName();
      const r = await call(anon(), "POST", "/api/v1/projects", { name }, { cookie, ...headers });
      expect(r.status, what).toBe(403);
      expect(r.body).toMatchObject({ code: "forbidden", detail: "cross-site request refused" });
      expect(await exists(name), what).toBe(false);
    }

    const viaOrigin = uniqueName();
    expect((await call(anon(), "POST", "/api/v1/projects", { name: viaOrigin }, { cookie, origin: own })).status).toBe(201);
    expect(await exists(viaOrigin)).toBe(true);
    const viaReferer = uniqueName();
    expect((await call(anon(), "POST", "/api/v1/projects", { name: viaReferer }, { cookie, referer: `${own}/projects` })).status).toBe(201);

    // Behind a TLS proxy the browser's origin is https://<forwarded host>.
    const proxied = uniqueName();
    const viaProxy = await call(anon(), "POST", "/api/v1/projects", { name: proxied }, {
      cookie,
      origin: "https://cairn.example.org",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "cairn.example.org",
    });
    expect(viaProxy.status).toBe(201);

    // Reads are not state-changing: no Origin needed.
    expect((await call(anon(), "GET", "/api/v1/whoami", undefined, { cookie, origin: "https://evil.example" })).status).toBe(200);
    // A Bearer key is no ambient credential: no Origin check.
    const bearer = uniqueName();
    expect((await call(srv(), "POST", "/api/v1/projects", { name: bearer }, { origin: "https://evil.example" })).status).toBe(201);
  });

  it("ends a key's sessions when the key is revoked, and caps a session at its key's expiry", async () => {
    const writer = await newKey("writer");
    const cookie = cookieOf(await login(srv().url, writer.secret));
    expect((await call(anon(), "GET", "/api/v1/whoami", undefined, { cookie })).status).toBe(200);
    expect((await call(srv(), "DELETE", `/api/v1/keys/${writer.id}`)).status).toBe(200);
    const after = await call(anon(), "GET", "/api/v1/whoami", undefined, { cookie });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe("unauthorized");
    expect(attributes(sessionSetCookie(after)!)).toContain("Max-Age=0"); // the browser drops the dead cookie
    // Nor can a revoked key log in again.
    const again = await login(srv().url, writer.secret);
    expect(again.status).toBe(401);
    expect(sessionSetCookie(again)).toBeUndefined();

    const shortLived = await newKey("reader", { expiresAt: Date.now() + 60_000 });
    const capped = await login(srv().url, shortLived.secret);
    const maxAge = Number(attributes(sessionSetCookie(capped)!).find((a) => a.startsWith("Max-Age="))!.slice(8));
    expect(maxAge).toBeGreaterThan(50);
    expect(maxAge).toBeLessThanOrEqual(60);
  });

  it("refuses an expired session", async () => {
    const cookie = cookieOf(await login(srv().url, srv().apiKey));
    const id = cookie.slice("cairn_session=".length);
    expect((await call(anon(), "GET", "/api/v1/whoami", undefined, { cookie })).status).toBe(200);
    await srv().query("update sessions set expires_at = now() - interval '1 second' where id_hash = $1", [sha256(id)]);
    const r = await call(anon(), "GET", "/api/v1/whoami", undefined, { cookie });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("unauthorized");
    // A cookie that cannot be a session id at all is a 401 too, not a 500.
    expect((await call(anon(), "GET", "/api/v1/whoami", undefined, { cookie: "cairn_session=../../etc" })).status).toBe(401);
  });

  it("logs out: deletes the session and clears the cookie", async () => {
    const cookie = cookieOf(await login(srv().url, srv().apiKey));
    const id = cookie.slice("cairn_session=".length);
    // Logging out changes state, so it is CSRF-checked too.
    expect((await call(anon(), "DELETE", "/api/v1/session", undefined, { cookie })).status).toBe(403);
    const out = await call(anon(), "DELETE", "/api/v1/session", undefined, { cookie, origin: srv().url });
    expect(out.status).toBe(204);
    const cleared = sessionSetCookie(out)!;
    expect(cleared.startsWith("cairn_session=;")).toBe(true);
    expect(attributes(cleared)).toEqual(expect.arrayContaining(["Max-Age=0", "Path=/", "HttpOnly", "SameSite=Strict"]));
    expect(await srv().query("select 1 from sessions where id_hash = $1", [sha256(id)])).toHaveLength(0);
    expect((await call(anon(), "GET", "/api/v1/whoami", undefined, { cookie })).status).toBe(401);
    expect((await call(anon(), "DELETE", "/api/v1/session")).status).toBe(401);
  });

  it("rejects a bad key and a cross-site login with a problem and no cookie", async () => {
    for (const key of ["cairn_not_a_real_key_at_all_0000000000000", "x", "'; drop table sessions; --"]) {
      const r = await login(srv().url, key);
      expect(r.status, key).toBe(401);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body.code).toBe("unauthorized");
      expect(sessionSetCookie(r)).toBeUndefined();
    }
    expect((await login(srv().url, "")).status).toBe(400);
    expect((await call(anon(), "POST", "/api/v1/session", { key: srv().apiKey, extra: 1 })).status).toBe(400);
    const csrf = await login(srv().url, srv().apiKey, { origin: "https://evil.example" });
    expect(csrf.status).toBe(403);
    expect(sessionSetCookie(csrf)).toBeUndefined();
    expect((await login(srv().url, srv().apiKey, { origin: srv().url })).status).toBe(200);
  });

  it("audits logins and logouts, never with the session id", async () => {
    const r = await login(srv().url, srv().apiKey);
    const id = cookieOf(r).slice("cairn_session=".length);
    await call(anon(), "DELETE", "/api/v1/session", undefined, { cookie: cookieOf(r), origin: srv().url });
    const events = await srv().query<{ action: string; subject_id: string }>(
      "select action, subject_id from audit_events where subject_kind = 'session' and subject_id = $1 order by seq",
      [sha256(id).slice(0, 16)],
    );
    expect(events.map((e) => e.action)).toEqual(["session.create", "session.delete"]);
    const all = await srv().query("select * from audit_events");
    expect(JSON.stringify(all)).not.toContain(id);
  });

  it("GET /login?token= exchanges a good token for a cookie and redirects to the UI", async () => {
    const r = await getLogin(srv().url, `?token=${encodeURIComponent(srv().apiKey)}`);
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/");
    expect(r.headers.get("cache-control")).toBe("no-store");
    const set = sessionSetCookie(r)!;
    expect(attributes(set)).toEqual(expect.arrayContaining(["HttpOnly", "SameSite=Strict", "Path=/"]));
    const me = await call(anon(), "GET", "/api/v1/whoami", undefined, { cookie: set.split(";")[0]! });
    expect(me.body).toMatchObject({ via: "session", role: "admin" });
  });

  it("GET /login with a bad or no token shows the login form and sets no cookie", async () => {
    for (const query of ["?token=cairn_wrong_wrong_wrong_wrong_wrong", `?token=${"x".repeat(5000)}`, "?token=", ""]) {
      const r = await getLogin(srv().url, query);
      expect(r.status, query.slice(0, 30)).toBe(200);
      expect(r.headers.get("content-type")).toContain("text/html");
      expect(r.text).toContain('<form id="login"');
      expect(r.text).toContain('<script src="/login.js"></script>');
      expect(r.text).not.toContain("wrong_wrong"); // the token is never echoed
      expect(sessionSetCookie(r)).toBeUndefined();
      expect(r.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(r.text.includes("not valid"), query.slice(0, 30)).toBe(query.length > 0);
    }
    const js = await fetch(`${srv().url}/login.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(await js.text()).toContain("/api/v1/session");
  });
});

describe("secrets in the server's log output", () => {
  it("logs neither the generated admin key, the login token, nor a session id", async () => {
    const lines: string[] = [];
    const logger = createLogger("trace", { write: (s: string) => void lines.push(s) });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-session-log-"));
    const server = await startServer(loadConfig({ CAIRN_HOST: "127.0.0.1", CAIRN_PORT: "0", CAIRN_DATA_DIR: dataDir, CAIRN_LOG_LEVEL: "trace" }), { logger });
    try {
      const secret = server.bootstrap!.secret;
      expect(server.bootstrap!.file).toBeDefined(); // generated: the case the banner prints a login URL for
      const viaLink = await getLogin(server.url, `?token=${encodeURIComponent(secret)}`);
      expect(viaLink.status).toBe(303);
      await getLogin(server.url, "?token=cairn_wrong_token_for_the_log_test_0000");
      const posted = await login(server.url, secret, { "user-agent": "session-log-test" });
      const cookie = cookieOf(posted);
      const created = await call({ url: server.url, apiKey: secret }, "POST", "/api/v1/keys", { name: "ci", role: "writer", projects: "*" });
      await call({ url: server.url }, "GET", "/api/v1/whoami", undefined, { cookie });
      await call({ url: server.url }, "DELETE", "/api/v1/session", undefined, { cookie, origin: server.url });
      logger.flush();

      const log = lines.join("");
      expect(log).toContain('"path":"/login"'); // the access log has the path…
      expect(log).not.toContain("token="); // …never the query string
      expect(log).toContain('"path":"/api/v1/session"');
      for (const s of [secret, cookieOf(viaLink).slice(14), cookie.slice(14), created.body.secret, "cairn_wrong_token_for_the_log_test"]) {
        expect(log).not.toContain(s);
      }
    } finally {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
