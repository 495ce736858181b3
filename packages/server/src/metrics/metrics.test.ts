import { uuidv7 } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { testDrivers } from "../testing.js";
import { call, newProject, newRun, postRaw, useServer } from "../../test/support.js";

const points = (key: string, from: number, n: number, f: (step: number) => number | string = (s) => s) =>
  Array.from({ length: n }, (_, i) => ({ key, step: from + i, value: f(from + i), timestamp: 1_700_000_000_000 + from + i }));

describe.each(testDrivers)("metrics (%s)", (driver) => {
  const srv = useServer(driver);
  const pointCount = async (runId: string) =>
    (await srv().query<{ n: number }>("select count(*)::int as n from metric_points p join metric_series s on s.id = p.series_id where s.run_id = $1", [runId]))[0]!.n;

  it("stores a batch, keeps a summary and never doubles a retried batch", async () => {
    const run = await newRun(srv(), await newProject(srv()));
    const batch = { points: [...points("loss", 0, 5, (s) => 5 - s), { key: "loss", step: 5, value: "NaN" }, ...points("val/acc", 0, 3, (s) => s / 10)] };
    const first = await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, batch);
    expect(first.body).toEqual({ accepted: 9, written: 9, duplicates: 0 });
    const retry = await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, batch);
    expect(retry.body).toEqual({ accepted: 9, written: 0, duplicates: 9 });
    const partial = await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points: points("loss", 4, 4, () => -1) });
    expect(partial.body).toEqual({ accepted: 4, written: 2, duplicates: 2 });
    expect(await pointCount(run.id)).toBe(11);

    const list = await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics`);
    const loss = list.body.metrics.find((m: { key: string }) => m.key === "loss");
    expect(loss).toMatchObject({ count: 8, min: -1, max: 5, last: -1, lastStep: 7 });
    const run2 = await call(srv(), "GET", `/api/v1/runs/${run.id}`);
    expect(run2.body.metrics["val/acc"]).toMatchObject({ count: 3, last: 0.2, min: 0, max: 0.2 });
  });

  it("takes the compact series form with the same meaning and the same idempotency", async () => {
    const run = await newRun(srv(), await newProject(srv()));
    const body = { series: [{ key: "loss", steps: [0, 1, 2], values: [3, "NaN", 1], timestamps: [10, 11, 12] }, { key: "acc", steps: [0], values: [0.5] }] };
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, body)).body).toEqual({ accepted: 4, written: 4, duplicates: 0 });
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, body)).body).toEqual({ accepted: 4, written: 0, duplicates: 4 });
    const h = await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics/loss`);
    expect(h.body).toMatchObject({ steps: [0, 1, 2], values: [3, "NaN", 1], timestamps: [10, 11, 12] });
    const bad = await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { series: [{ key: "x", steps: [0, 1], values: [1] }, { key: "y", steps: [0, -1], values: [1, 2] }] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(["series[0].values", "series[1].steps[1]"]);
    const both = await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points: [], series: [] });
    expect(both.status).toBe(400);
    expect(await pointCount(run.id)).toBe(4);
  });

  it("stores steps and timestamps beyond 32 bits exactly, and steps logged out of order", async () => {
    const run = await newRun(srv(), await newProject(srv()));
    const big = 2 ** 40 + 7;
    const r1 = await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points: [{ key: "k", step: big, value: -0.5, timestamp: 8.64e15 }] });
    expect(r1.body.written).toBe(1);
    const back = await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics/k?fromStep=${big}&toStep=${big}`);
    expect(back.body).toMatchObject({ steps: [big], values: [-0.5], timestamps: [8.64e15] });
    // Decreasing and repeated steps in one batch take the idempotent path: first write wins.
    const r2 = await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points: [5, 3, 4, 3].map((step, i) => ({ key: "o", step, value: i })) });
    expect(r2.body).toEqual({ accepted: 4, written: 3, duplicates: 1 });
    const o = await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics/o`);
    expect(o.body).toMatchObject({ steps: [3, 4, 5], values: [1, 2, 0] });
    // Filling a gap below the last step is not a duplicate.
    const r3 = await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points: [{ key: "o", step: 1, value: 9 }, { key: "o", step: 2, value: 8 }] });
    expect(r3.body.written).toBe(2);
    const s = (await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics`)).body.metrics.find((m: { key: string }) => m.key === "o");
    expect(s).toMatchObject({ count: 5, lastStep: 5, last: 0, min: 0, max: 9 });
  });

  it("keeps NaN and infinities as values and out of min/max", async () => {
    const run = await newRun(srv(), await newProject(srv()));
    await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, {
      points: [{ key: "g", step: 0, value: "Infinity" }, { key: "g", step: 1, value: 2 }, { key: "g", step: 2, value: "NaN" }, { key: "g", step: 3, value: "-Infinity" }],
    });
    const h = await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics/g`);
    expect(h.body.values).toEqual(["Infinity", 2, "NaN", "-Infinity"]);
    const s = (await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics`)).body.metrics[0];
    expect(s).toMatchObject({ last: "-Infinity", min: "-Infinity", max: "Infinity", count: 4 });
  });

  it("validates the whole batch first, names each bad field, and writes nothing of a bad batch", async () => {
    const run = await newRun(srv(), await newProject(srv()));
    const good = points("loss", 0, 30);
    const cases: Array<[unknown, string]> = [
      [{ points: good.map((p, i) => (i === 17 ? { ...p, value: "abc" } : p)) }, "points[17].value"],
      [{ points: good.map((p, i) => (i === 3 ? { ...p, step: -1 } : p)) }, "points[3].step"],
      [{ points: good.map((p, i) => (i === 4 ? { ...p, step: 1.5 } : p)) }, "points[4].step"],
      [{ points: good.map((p, i) => (i === 5 ? { ...p, key: "" } : p)) }, "points[5].key"],
      [{ points: good.map((p, i) => (i === 6 ? { ...p, key: "k".repeat(251) } : p)) }, "points[6].key"],
      [{ points: good.map((p, i) => (i === 7 ? { ...p, key: "semi;colon" } : p)) }, "points[7].key"],
      [{ points: good.map((p, i) => (i === 8 ? { ...p, value: null } : p)) }, "points[8].value"],
      [{ points: [] }, "points"],
      [{ points: points("x", 0, 10_001) }, "points"],
      [{}, "points"],
    ];
    for (const [body, path] of cases) {
      const r = await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, body);
      expect(r.status, path).toBe(400);
      expect(r.body.code).toBe("validation_failed");
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect(await pointCount(run.id)).toBe(0);
  });

  it("answers malformed JSON, a wrong content type and an oversized body with 4xx problems", async () => {
    const run = await newRun(srv(), await newProject(srv()));
    const malformed = await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, '{"points": [', { "content-type": "application/json" });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe("invalid_json");
    const form = await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, "points=1", { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    const huge = JSON.stringify({ points: points("k".repeat(240), 0, 10_000).map((p) => ({ ...p, pad: "x".repeat(200) })) });
    expect(await postRaw(`${srv().url}/api/v1/runs/${run.id}/metrics`, srv().apiKey, huge)).toBe(413);
    expect(await pointCount(run.id)).toBe(0);
  });

  it("404s metrics of an unknown run and an unknown key", async () => {
    const missing = await call(srv(), "POST", `/api/v1/runs/${uuidv7()}/metrics`, { points: points("a", 0, 1) });
    expect(missing.status).toBe(404);
    const run = await newRun(srv(), await newProject(srv()));
    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics/nope`)).status).toBe(404);
    expect((await call(srv(), "GET", `/api/v1/runs/${uuidv7()}/metrics`)).status).toBe(404);
  });

  it("serves full resolution when it fits and keeps a spike when downsampling 100,000 points", async () => {
    const run = await newRun(srv(), await newProject(srv()));
    const spikeAt = 73_219;
    const f = (s: number) => (s === spikeAt ? 1000 : s === 12_345 ? -1000 : Math.sin(s / 500));
    const batches = [];
    for (let from = 0; from < 100_000; from += 10_000) batches.push(call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points: points("val/loss", from, 10_000, f) }));
    for (const r of await Promise.all(batches)) expect(r.status).toBe(200);

    const key = encodeURIComponent("val/loss");
    const h = await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics/${key}?maxPoints=1000`);
    expect(h.body).toMatchObject({ downsampled: true, total: 100_000 });
    expect(h.body.steps.length).toBeLessThanOrEqual(1000);
    expect(h.body.steps.length).toBeGreaterThan(900);
    expect(h.body.values[h.body.steps.indexOf(spikeAt)]).toBe(1000);
    expect(h.body.values[h.body.steps.indexOf(12_345)]).toBe(-1000);
    for (let i = 1; i < h.body.steps.length; i++) expect(h.body.steps[i]).toBeGreaterThan(h.body.steps[i - 1]);

    const zoom = await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics/${key}?maxPoints=200&fromStep=73000&toStep=73499`);
    expect(zoom.body).toMatchObject({ downsampled: true, total: 500 });
    expect(zoom.body.steps[0]).toBeGreaterThanOrEqual(73_000);
    expect(zoom.body.steps.at(-1)).toBeLessThanOrEqual(73_499);
    expect(zoom.body.values).toContain(1000);

    const full = await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics/${key}?maxPoints=1000&fromStep=500&toStep=1499`);
    expect(full.body).toMatchObject({ downsampled: false, total: 1000 });
    expect(full.body.steps).toEqual(Array.from({ length: 1000 }, (_, i) => 500 + i));
    expect(full.body.values[10]).toBeCloseTo(Math.sin(510 / 500), 12);
    expect(full.body.timestamps[0]).toBe(1_700_000_000_500);

    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics/${key}?maxPoints=1`)).status).toBe(400);
  });

  it("takes concurrent batches for one run without losing or doubling points", async () => {
    // Fresh runs each time: the first batches of a run race to create its series.
    for (let attempt = 0; attempt < 3; attempt++) {
      const run = await newRun(srv(), await newProject(srv()));
      const sends = [];
      for (let b = 0; b < 16; b++) {
        const batch = Array.from({ length: 20 }, (_, k) => points(`m${k}`, b * 50, 50)).flat();
        sends.push(call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points: batch }));
        sends.push(call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points: batch })); // a duplicate racing its original
      }
      for (const r of await Promise.all(sends)) expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(await pointCount(run.id)).toBe(16 * 20 * 50);
      const sums = await srv().query<{ n: number }>("select sum(count)::int as n from metric_series where run_id = $1", [run.id]);
      expect(sums[0]!.n).toBe(16 * 20 * 50);
      const rollups = await srv().query<{ n: number }>(
        "select sum(r.count)::int as n from metric_rollups r join metric_series s on s.id = r.series_id where s.run_id = $1 and r.level = 1",
        [run.id],
      );
      expect(rollups[0]!.n).toBe(16 * 20 * 50);
      // Merged requests are audited together, still one event per request, in one unbroken chain.
      const events = (await call(srv(), "GET", `/api/v1/audit?action=metrics.log&subjectId=${run.id}&limit=1000`)).body.events;
      expect(events).toHaveLength(32);
      expect(events.reduce((n: number, e: { after: { written: number } }) => n + e.after.written, 0)).toBe(16 * 20 * 50);
    }
    expect((await call(srv(), "GET", "/api/v1/audit/verify")).body.ok).toBe(true);
    const orphans = await srv().query<{ n: number }>("select count(*)::int as n from metric_points where series_id not in (select id from metric_series)");
    expect(orphans[0]!.n).toBe(0);
  });
});
