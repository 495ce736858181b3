import { describe, expect, it } from "vitest";
import { HttpError } from "../errors.js";
import { cors } from "./cors.js";
import { testApp } from "./test-app.js";

function app(origins: string[]) {
  const a = testApp();
  a.use("*", cors({ origins }));
  a.get("/api/v1/things", (c) => c.json([]));
  a.post("/api/v1/things", (c) => c.json({}, 201));
  a.get("/api/v1/limited", () => {
    throw new HttpError(429, "rate_limited", "slow down", undefined, { "retry-after": "3" });
  });
  return a;
}

const corsHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith("access-control-"));

describe("cors", () => {
  it("is closed by default: no CORS headers at all, preflight not answered", async () => {
    const a = app([]);
    const res = await a.request("/api/v1/things", { headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(200);
    expect(corsHeaders(res)).toEqual([]);
    const pre = await a.request("/api/v1/things", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(pre.status).toBe(404);
    expect(corsHeaders(pre)).toEqual([]);
  });

  it("allows exactly the listed origins, with Vary: Origin", async () => {
    const a = app(["https://ui.example", "http://localhost:5173"]);
    const ok = await a.request("/api/v1/things", { headers: { origin: "https://ui.example" } });
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://ui.example");
    expect(ok.headers.get("access-control-allow-credentials")).toBeNull();
    expect(ok.headers.get("access-control-expose-headers")).toContain("Retry-After");
    expect(ok.headers.get("vary")).toContain("Origin");
    for (const origin of ["https://evil.example", "https://ui.example.evil.example", "http://ui.example", "https://UI.example", "null"]) {
      const res = await a.request("/api/v1/things", { headers: { origin } });
      expect(res.headers.get("access-control-allow-origin"), origin).toBeNull();
      expect(res.headers.get("vary"), origin).toContain("Origin");
    }
  });

  it("answers a preflight with the allowed methods and headers", async () => {
    const pre = await app(["https://ui.example"]).request("/api/v1/things", {
      method: "OPTIONS",
      headers: { origin: "https://ui.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://ui.example");
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET,HEAD,POST,PUT,PATCH,DELETE");
    expect(pre.headers.get("access-control-allow-headers")).toBe("Authorization,Content-Type,X-Request-Id");
    expect(pre.headers.get("access-control-max-age")).toBe("600");
    expect(pre.headers.get("vary")).toContain("Origin");
  });

  it("labels problem responses too, so a browser client can read a 429", async () => {
    const res = await app(["https://ui.example"]).request("/api/v1/limited", { headers: { origin: "https://ui.example" } });
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://ui.example");
    expect(res.headers.get("retry-after")).toBe("3");
  });

  it("refuses malformed origins at construction", () => {
    for (const bad of ["*", "ui.example", "https://ui.example/", "https://ui.example/path", "https://UI.example", "https://ui.example:443", "file:///x"]) {
      expect(() => cors({ origins: [bad] }), bad).toThrow(/scheme:\/\/host/);
    }
  });
});
