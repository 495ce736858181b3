import { describe, expect, it } from "vitest";

import { testDrivers } from "../testing.js";
import { call, newProject, postRaw, useServer } from "../../test/support.js";

describe.each(testDrivers)("abuse limits on the real server (%s)", (driver) => {
  const srv = useServer(driver, {
    CAIRN_RATE_LIMIT_EXEMPT_LOOPBACK: "false",
    CAIRN_RATE_LIMIT_PER_SECOND: "5",
    CAIRN_RATE_LIMIT_BURST: "20",
    CAIRN_CORS_ORIGINS: "https://ui.example.com",
  });

  it("rate-limits a key with 429 and Retry-After, per key", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 40; i++) {
      const r = await call(srv(), "GET", "/api/v1/whoami");
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get("retry-after");
        expect(r.body.code).toBe("rate_limited");
      }
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(20);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const other = (await call(srv(), "POST", "/api/v1/keys", { name: "x", role: "reader", projects: "*" })).body;
    if (other.secret) expect((await call({ url: srv().url, apiKey: other.secret }, "GET", "/api/v1/whoami")).status).toBe(200);
  });

  it("sends secure headers, keeps CORS to the configured origin, and bounds bodies and nesting", async () => {
    await new Promise((r) => setTimeout(r, 4500)); // let the bucket refill after the previous test
    const api = await fetch(`${srv().url}/api/v1/whoami`, { headers: { authorization: `Bearer ${srv().apiKey}`, origin: "https://evil.example" } });
    expect(api.headers.get("x-content-type-options")).toBe("nosniff");
    expect(api.headers.get("access-control-allow-origin")).toBeNull();
    const ui = await fetch(`${srv().url}/`);
    expect(ui.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const preflight = await fetch(`${srv().url}/api/v1/projects`, {
      method: "OPTIONS",
      headers: { origin: "https://ui.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://ui.example.com");

    const deep = `{"name":"d","description":"x","extra":${"[".repeat(100)}${"]".repeat(100)}}`;
    const tooDeep = await call(srv(), "POST", "/api/v1/projects", deep, { "content-type": "application/json" });
    expect(tooDeep.status).toBe(400);
    expect(await postRaw(`${srv().url}/api/v1/projects`, srv().apiKey, JSON.stringify({ name: "big", description: "x".repeat(2 * 1024 * 1024) }))).toBe(413);
    expect((await call(srv(), "GET", "/api/v1/projects/big")).status).toBe(404);
    const project = await newProject(srv());
    expect(project).toBeTruthy();
  }, 30_000);
});
