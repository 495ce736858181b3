import { classificationMetrics, driftAgainstProfile } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { call, newProject, useServer } from "../../test/support.js";
import { idAt } from "../predictions/predictions.testutil.js";
import { compactWindows } from "../predictions/windows.js";
import { testDrivers } from "../testing.js";
import { computeMonitoringReport } from "./monitoring.service.js";
import { HOUR, registerMonitoredModel, type Served, servedRows } from "./monitoring.testutil.js";

/** The report over predictions and labels sent through the ingestion routes, before and after compaction. */
describe.each(testDrivers)("monitoring report over ingested predictions (%s)", (driver) => {
  const srv = useServer(driver);
  const projectIdOf = async (name: string) => (await call(srv(), "GET", `/api/v1/projects/${name}`)).body.id as string;

  it("counts, drift and accuracy match the sent predictions and labels, and compaction changes nothing", async () => {
    const project = await newProject(srv());
    const m = await registerMonitoredModel(srv(), project);
    const h0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
    const hours = [servedRows(700, 61), servedRows(500, 62, 45)];
    const sent: Array<Served & { uuid: string }> = [];
    for (const [h, rows] of hours.entries()) {
      const withIds = rows.map((r, i) => ({ ...r, uuid: idAt(h0 + h * HOUR + i * 1000) }));
      sent.push(...withIds);
      for (let i = 0; i < withIds.length; i += 250) {
        const batch = withIds.slice(i, i + 250).map((r) => ({ id: r.uuid, model: m.name, version: 1, features: r.features, output: r.output, score: r.score, latencyMs: r.latencyMs }));
        const res = await call(srv(), "POST", `/api/v1/projects/${project}/predictions`, { predictions: batch });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
    }
    // A retried batch counts once.
    const retry = await call(srv(), "POST", `/api/v1/projects/${project}/predictions`, { predictions: [{ id: sent[0]!.uuid, model: m.name, version: 1, features: sent[0]!.features, output: sent[0]!.output }] });
    expect(retry.body).toMatchObject({ accepted: 0, duplicates: 1 });
    const labelled = sent.slice(0, 350);
    const labels = await call(srv(), "POST", `/api/v1/projects/${project}/labels`, { labels: labelled.map((r) => ({ predictionId: r.uuid, label: r.truth })) });
    expect(labels.status, JSON.stringify(labels.body)).toBe(200);

    const q = `/api/v1/projects/${project}/models/${m.name}/monitoring?from=${new Date(h0).toISOString()}&to=${new Date(h0 + 3 * HOUR).toISOString()}&version=1`;
    const check = async () => {
      const r = await call(srv(), "GET", q);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const [w0, w1, w2] = r.body.windows;
      expect([w0.count, w1.count, w2.count]).toEqual([700, 500, 0]);
      const want = classificationMetrics({ labels: labelled.map((x) => x.truth), predictions: labelled.map((x) => x.output as string) });
      expect(w0.labels).toEqual({ count: 350, coverage: 0.5 });
      expect(w0.performance.accuracy).toBeCloseTo(want.accuracy!, 12);
      expect(w1.labels.count).toBe(0);
      for (const [h, w] of [w0, w1].entries()) {
        const rows = hours[h]!;
        const direct = driftAgainstProfile(m.profile, { x: rows.map((x) => x.features.x as number), y: rows.map((x) => x.features.y as number) });
        for (const c of direct.columns) expect(w.drift.features.find((f: { feature: string }) => f.feature === c.column).statistic).toBeCloseTo(c.statistic!, 10);
        expect(w.drift.features.filter((f: { drifted: boolean }) => f.drifted).map((f: { feature: string }) => f.feature)).toEqual(h === 1 ? ["x"] : []);
      }
      return r.body;
    };
    const before = await check();
    while ((await compactWindows(srv().server()!.ctx.db)) > 0);
    const [{ n }] = (await srv().query<{ n: number }>(`select count(*)::int as n from prediction_window_parts`)) as [{ n: number }];
    expect(n).toBe(0);
    expect(await check()).toEqual(before);
    // The scheduler's entry point, inside a transaction of its own, reads the same figures.
    const ctx = srv().server()!.ctx;
    const model = { id: (await call(srv(), "GET", `/api/v1/projects/${project}/models/${m.name}`)).body.id as string, name: m.name };
    const projectId = await projectIdOf(project);
    const inTx = await ctx.db.orm.transaction((tx) => computeMonitoringReport(tx, { projectId, model, version: 1, from: before.from, to: before.to, window: "1h" }));
    expect(inTx.windows.map((w) => w.count)).toEqual([700, 500, 0]);
  });
});
