import { uuidv7 } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { call, newProject, newRun, useServer } from "../../test/support.js";
import { putFile } from "../models/models.testutil.js";
import { testDrivers } from "../testing.js";

/** The value of one sample line (`name{labels} value`) of a Prometheus text exposition, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? "").split(",").filter(Boolean);
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(m[3]);
  }
  return 0;
}

describe.each(testDrivers)("/metrics (%s)", (driver) => {
  const srv = useServer(driver);

  it("counts requests by route pattern and status, rejections by code, ingested points and predictions; needs an all-projects key", async () => {
    const project = await newProject(srv());
    const run = await newRun(srv(), project);
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points: Array.from({ length: 7 }, (_, step) => ({ key: "loss", value: step, step })) })).status).toBe(200);
    // A retried batch writes nothing new: the counter moves by what was written.
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points: [{ key: "loss", value: 0, step: 0 }] })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call(srv(), "GET", `/api/v1/runs/${run.id}`)).status).toBe(200);
    expect((await call(srv(), "POST", `/api/v1/projects/${project}/runs`, { name: 5 })).status).toBe(400);
    expect((await call(srv(), "GET", `/api/v1/runs/00000000-0000-7000-8000-000000000000`)).status).toBe(404);
    expect((await call(srv(), "GET", `/api/v1/no-such-route/${run.id}`)).status).toBe(404);
    await putFile(srv(), run.id, "model.bin", "w");
    expect((await call(srv(), "POST", `/api/v1/projects/${project}/models/m/versions`, { runId: run.id, artifactPath: "model.bin" })).status).toBe(201);
    const predictions = Array.from({ length: 5 }, () => ({ id: uuidv7(), model: "m", version: 1, features: { x: 1 }, output: 1 }));
    expect((await call(srv(), "POST", `/api/v1/projects/${project}/predictions`, { predictions })).status).toBe(200);
    expect((await call(srv(), "POST", `/api/v1/projects/${project}/predictions`, { predictions: predictions.slice(0, 2) })).status).toBe(200);
    expect((await call(srv(), "POST", `/api/v1/projects/${project}/labels`, { labels: predictions.slice(0, 3).map((p) => ({ predictionId: p.id, label: 1 })) })).status).toBe(200);

    const anonymous = await call({ url: srv().url }, "GET", "/metrics");
    expect(anonymous.status).toBe(401);
    const scoped = (await call(srv(), "POST", "/api/v1/keys", { name: "scoped", role: "reader", projects: [project] })).body;
    expect((await call({ url: srv().url, apiKey: scoped.secret }, "GET", "/metrics")).status).toBe(403);
    const prometheus = (await call(srv(), "POST", "/api/v1/keys", { name: "prometheus", role: "reader", projects: "*" })).body;
    const res = await fetch(`${srv().url}/metrics`, { headers: { authorization: `Bearer ${prometheus.secret}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();

    expect(sample(text, "cairn_http_requests_total", { method: "GET", route: "/api/v1/runs/:runId", status: "200" })).toBe(3);
    expect(sample(text, "cairn_http_requests_total", { method: "GET", route: "/api/v1/runs/:runId", status: "404" })).toBe(1);
    expect(sample(text, "cairn_http_request_duration_seconds_count", { method: "GET", route: "/api/v1/runs/:runId" })).toBe(4);
    expect(sample(text, "cairn_http_requests_total", { method: "GET", route: "/api/*", status: "404" })).toBe(1);
    // Raw ids never become label values.
    expect(text).not.toContain(run.id);
    expect(sample(text, "cairn_http_rejections_total", { status: "400", code: "validation_failed" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "cairn_http_rejections_total", { status: "404", code: "not_found" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "cairn_http_rejections_total", { status: "401", code: "unauthorized" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "cairn_metric_points_ingested_total")).toBe(7);
    expect(sample(text, "cairn_predictions_ingested_total")).toBe(5);
    expect(sample(text, "cairn_labels_ingested_total")).toBe(3);
    expect(sample(text, "cairn_database_pool_max_connections", { driver: srv().driver })).toBe(srv().driver === "postgres" ? 8 : 1);
    expect(text).toContain("# TYPE cairn_scheduler_runs_total counter");
    expect(text).toContain("# TYPE cairn_webhook_deliveries_total counter");
    expect(text).toContain("cairn_process_resident_memory_bytes");
    expect(text).toContain("cairn_nodejs_eventloop_lag_p99_seconds");
  });
});

describe("/metrics with CAIRN_METRICS_PUBLIC=true", () => {
  const srv = useServer("pglite", { CAIRN_METRICS_PUBLIC: "true" });

  it("answers without a key", async () => {
    const res = await fetch(`${srv().url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("cairn_http_requests_total");
  });
});
