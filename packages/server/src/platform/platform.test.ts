import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { vacuumEmbedded } from "../db/maintenance.js";
import { startServer } from "../server.js";
import { testDrivers } from "../testing.js";
import { call, newProject, newRun, useServer } from "../../test/support.js";

const committedOpenApi = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../openapi.json");

describe.each(testDrivers)("platform (%s)", (driver) => {
  const srv = useServer(driver);

  it.runIf(driver === "pglite")("does autovacuum's job on the embedded database", async () => {
    await expect(vacuumEmbedded(srv().server()!.ctx.db)).resolves.toBeUndefined();
  });

  it("reports liveness and readiness", async () => {
    expect((await call(srv(), "GET", "/healthz")).body).toEqual({ status: "ok" });
    expect((await call(srv(), "GET", "/readyz")).body).toMatchObject({ status: "ready", database: driver });
  });

  it("serves an OpenAPI 3.1 document equal to the committed openapi.json", async () => {
    const r = await call(srv(), "GET", "/openapi.json");
    expect(r.body.openapi).toBe("3.1.0");
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/projects", "/api/v1/projects/{project}/runs", "/api/v1/runs/{runId}/metrics", "/api/v1/runs/{runId}/metrics/{key}"]),
    );
    const committed = JSON.parse(fs.readFileSync(committedOpenApi, "utf8"));
    // On failure: run `npm run openapi -w @cairn/server` and commit packages/server/openapi.json.
    expect(r.body).toEqual(committed);
  });

  it("serves the API reference and its assets from this server (works offline)", async () => {
    const page = await fetch(`${srv().url}/docs`);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain("/docs/assets/swagger-ui-bundle.js");
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    const bundle = await fetch(`${srv().url}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });

  it("echoes a sane request id and makes one otherwise", async () => {
    const mine = await call(srv(), "GET", "/api/v1/projects", undefined, { "x-request-id": "trace-123" });
    expect(mine.headers.get("x-request-id")).toBe("trace-123");
    const junk = await call(srv(), "GET", "/api/v1/projects", undefined, { "x-request-id": "bad id\twith spaces" });
    expect(junk.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers unknown API routes and methods with a problem, and serves the UI at /", async () => {
    const r = await call(srv(), "GET", "/api/v1/nothing-here");
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect((await call(srv(), "DELETE", "/api/v1/projects")).status).toBe(404);
    const ui = await fetch(`${srv().url}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain("<div id=\"root\">");
  });

  it("refuses NUL characters and other text the database cannot store with a 4xx, never a 500", async () => {
    const project = await newProject(srv());
    const run = await newRun(srv(), project);
    const cases: Array<[string, string, unknown]> = [
      ["POST", "/api/v1/projects", { name: "ok", description: "a\u0000b" }],
      ["GET", "/api/v1/projects/a%00b", undefined],
      ["POST", `/api/v1/projects/${project}/runs`, { name: "x\u0000" }],
      ["POST", `/api/v1/projects/${project}/runs`, { params: { a: "\u0000" } }],
      ["PATCH", `/api/v1/runs/${run.id}`, { notes: "\u0000", tags: { t: "\u0000" } }],
      ["POST", `/api/v1/runs/${run.id}/params`, { params: { a: "x\u0000y" } }],
      ["GET", `/api/v1/projects/${project}/runs?filter=${encodeURIComponent('name = "a\u0000b"')}`, undefined],
      ["GET", `/api/v1/runs/${run.id}/metrics/a%00b`, undefined],
      ["GET", `/api/v1/runs/${run.id}/metrics/%E0%A4%A`, undefined],
      ["POST", `/api/v1/runs/${run.id}/metrics`, { points: [{ key: "a\u0000", value: 1, step: 0 }] }],
    ];
    for (const [method, path, body] of cases) {
      const r = await call(srv(), method, path, body);
      expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${method} ${path}`).toBeLessThan(500);
    }
    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}`)).body).toMatchObject({ notes: "", tags: {}, params: {} });
  });

  it("keeps every batch it answered 2xx through a graceful stop and restart", async () => {
    const run = await newRun(srv(), await newProject(srv()));
    const sends = Array.from({ length: 30 }, (_, b) =>
      fetch(`${srv().url}/api/v1/runs/${run.id}/metrics`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${srv().apiKey}` },
        body: JSON.stringify({ points: Array.from({ length: 500 }, (_, i) => ({ key: "loss", step: b * 500 + i, value: i })) }),
      }).then(async (res) => ({ status: res.status, body: await res.text() }), () => ({ status: 0, body: "" })),
    );
    await new Promise((r) => setTimeout(r, 5));
    const stopping = srv().stop();
    const results = await Promise.all(sends);
    await stopping;
    await srv().start();
    const ok = results.filter((r) => r.status === 200).length;
    expect(results.every((r) => [0, 200, 503].includes(r.status))).toBe(true);
    const [{ n }] = (await srv().query<{ n: number }>(
      "select count(*)::int as n from metric_points p join metric_series s on s.id = p.series_id where s.run_id = $1",
      [run.id],
    )) as [{ n: number }];
    expect(n).toBeGreaterThanOrEqual(ok * 500);
    expect(n % 500).toBe(0); // whole batches only: each is one transaction
  });
});

describe("configuration", () => {
  it("fails with a message naming each bad variable", () => {
    expect(() => loadConfig({ CAIRN_PORT: "notaport" })).toThrow(/CAIRN_PORT/);
    expect(() => loadConfig({ CAIRN_LOG_LEVEL: "loud" })).toThrow(/CAIRN_LOG_LEVEL/);
    expect(() => loadConfig({ CAIRN_DATABASE_URL: "mysql://x" })).toThrow(/CAIRN_DATABASE_URL/);
    expect(() => loadConfig({ CAIRN_PORT: "70000", CAIRN_RUN_HEARTBEAT_TIMEOUT_SECONDS: "-1" })).toThrow(/CAIRN_PORT[\s\S]*CAIRN_RUN_HEARTBEAT_TIMEOUT_SECONDS/);
  });

  it("allows auth and audit off only together and only on loopback", () => {
    expect(() => loadConfig({ CAIRN_AUDIT: "off" })).toThrow(/CAIRN_AUDIT/);
    expect(() => loadConfig({ CAIRN_AUTH: "off", CAIRN_HOST: "0.0.0.0" })).toThrow(/CAIRN_AUTH/);
    expect(loadConfig({ CAIRN_AUTH: "off", CAIRN_AUDIT: "off" })).toMatchObject({ auth: false, audit: false });
    expect(loadConfig({})).toMatchObject({ auth: true, audit: true });
  });

  it("uses the documented defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: "127.0.0.1", port: 8642, databaseUrl: undefined, logLevel: "info" });
    expect(c.dataDir).toBe(path.resolve(".cairn"));
  });
});

describe("embedded database", () => {
  it("refuses a second server on the same data directory with a clear error", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-lock-"));
    const config = loadConfig({ CAIRN_PORT: "0", CAIRN_DATA_DIR: dir, CAIRN_LOG_LEVEL: "silent" });
    const first = await startServer(config);
    try {
      await expect(startServer(config)).rejects.toThrow(/in use by another Cairn server|already open in this process/);
    } finally {
      await first.close();
    }
    const again = await startServer(config); // the lock is released on close
    await again.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
