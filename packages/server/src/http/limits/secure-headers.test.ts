import { describe, expect, it } from "vitest";
import { HttpError } from "../errors.js";
import { API_CSP, secureHeaders, UI_CSP } from "./secure-headers.js";
import { testApp } from "./test-app.js";

function app(ui: boolean, hsts?: boolean) {
  const a = testApp();
  a.use("*", secureHeaders({ ui, hsts }));
  a.get("/", (c) => c.html("<h1>ui</h1>"));
  a.get("/docs", (c) => c.html("<div id=ui></div>"));
  a.get("/docs/init.js", (c) => c.body("x", 200, { "content-type": "text/javascript; charset=utf-8" }));
  a.get("/api/v1/things", (c) => c.json([]));
  a.get("/api/v1/artifacts/evil.html", (c) => c.body("<script>alert(1)</script>", 200, { "content-type": "text/html" }));
  a.get("/api/v1/limited", () => {
    throw new HttpError(429, "rate_limited", "slow down", undefined, { "retry-after": "3" });
  });
  return a;
}

describe("secureHeaders", () => {
  it("sets the fixed headers on every response, errors included", async () => {
    for (const path of ["/", "/api/v1/things", "/api/v1/limited", "/nowhere"]) {
      const res = await app(true).request(path);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("cross-origin-resource-policy"), path).toBe("same-origin");
      expect(res.headers.get("strict-transport-security"), path).toBeNull();
      expect(res.headers.get("content-security-policy"), path).toBeTruthy();
    }
    const limited = await app(true).request("/api/v1/limited");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
  });

  it("gives UI and /docs pages the UI CSP, which lets them load scripts from self only", async () => {
    for (const path of ["/", "/docs"]) {
      const csp = (await app(true).request(path)).headers.get("content-security-policy");
      expect(csp).toBe(UI_CSP);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-eval");
    }
  });

  it("locks down everything else, HTML under /api/ (artifacts) above all", async () => {
    for (const path of ["/api/v1/things", "/api/v1/artifacts/evil.html", "/docs/init.js", "/api/v1/limited"]) {
      expect((await app(true).request(path)).headers.get("content-security-policy"), path).toBe(API_CSP);
    }
    expect(API_CSP).toContain("sandbox");
  });

  it("with ui false, no page gets the UI CSP", async () => {
    expect((await app(false).request("/")).headers.get("content-security-policy")).toBe(API_CSP);
  });

  it("sends HSTS only when asked", async () => {
    expect((await app(true, true).request("/")).headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
  });
});
