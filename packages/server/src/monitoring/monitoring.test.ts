import { classificationMetrics, driftAgainstProfile, MonitoringReport, mergeWindowAggregates, aggregatePredictions, quantileSorted } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { call, newProject, useServer } from "../../test/support.js";
import { compactWindows } from "../predictions/windows.js";
import { testDrivers } from "../testing.js";
import { forgetReportCaches, summaryWritesSettled } from "./monitoring.service.js";
import { HOUR, type MonitoredModel, registerMonitoredModel, type Served, servedRows, storeHour, storeLabels } from "./monitoring.testutil.js";

const T0 = Date.UTC(2026, 0, 10);
const iso = (ms: number) => new Date(ms).toISOString();
const url = (project: string, name: string, q: Record<string, string | number>) =>
  `/api/v1/projects/${project}/models/${name}/monitoring?${new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)]))}`;

const column = (rows: Served[], name: string) => rows.map((r) => r.features[name] as number);
const rankOf = (sorted: Float64Array, v: number) => sorted.findIndex((x) => x >= v) / sorted.length;

describe.each(testDrivers)("monitoring report (%s)", (driver) => {
  const srv = useServer(driver);

  async function setUp(): Promise<{ project: string; m: MonitoredModel }> {
    const project = await newProject(srv());
    return { project, m: await registerMonitoredModel(srv(), project) };
  }

  it("gives each hour's figures as a direct computation over the same predictions, empty hours with count 0", async () => {
    const { project, m } = await setUp();
    const hours = [servedRows(1500, 11), servedRows(800, 12), [], servedRows(600, 14, 40)];
    for (const [h, rows] of hours.entries()) await storeHour(srv(), m, T0 + h * HOUR, rows);
    // Labels for the first 300 predictions of hour 0.
    const labelled = hours[0]!.slice(0, 300);
    await storeLabels(srv(), m, T0, labelled.map((r) => ({ label: r.truth, output: r.output })));

    for (const method of ["psi", "jensenshannon"] as const) {
      const r = await call(srv(), "GET", url(project, m.name, { from: iso(T0), to: iso(T0 + 5 * HOUR), method }));
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const report = MonitoringReport.parse(r.body);
      expect(report).toMatchObject({ model: m.name, version: null, window: "1h", from: iso(T0), to: iso(T0 + 5 * HOUR), orphanedLabels: 0 });
      expect(report.reference).toEqual({ datasetVersionId: m.datasetVersionId, name: `train-${m.name}-1`, version: 1 });
      expect(report.windows.map((w) => [w.start, w.end, w.count])).toEqual([
        [iso(T0), iso(T0 + HOUR), 1500],
        [iso(T0 + HOUR), iso(T0 + 2 * HOUR), 800],
        [iso(T0 + 2 * HOUR), iso(T0 + 3 * HOUR), 0],
        [iso(T0 + 3 * HOUR), iso(T0 + 4 * HOUR), 600],
        [iso(T0 + 4 * HOUR), iso(T0 + 5 * HOUR), 0],
      ]);
      for (const [h, rows] of hours.entries()) {
        const w = report.windows[h]!;
        if (rows.length === 0) {
          expect(w.latencyMs.p50).toBeNull();
          expect(w.drift.features.map((f) => f.status)).toEqual(["not_enough_data", "not_enough_data", "not_enough_data"]);
          continue;
        }
        const lat = Float64Array.from(rows.map((x) => x.latencyMs!)).sort();
        expect(Math.abs(rankOf(lat, w.latencyMs.p95!) - 0.95)).toBeLessThan(0.01);
        expect(w.latencyMs.p50).toBeCloseTo(quantileSorted(lat, 0.5), 0);
        expect(w.latencyMs.count).toBe(rows.length);
        const ones = rows.filter((x) => x.output === "1").length;
        expect(w.output["1"]).toBeCloseTo(ones / rows.length, 12);
        // Drift: the statistic core's driftAgainstProfile computes from the raw rows and the stored profile.
        const direct = driftAgainstProfile(m.profile, { x: column(rows, "x"), y: column(rows, "y") }, { method });
        for (const name of ["x", "y"]) {
          const got = w.drift.features.find((f) => f.feature === name)!;
          expect(got.method).toBe(method);
          expect(got.statistic).toBeCloseTo(direct.columns.find((c) => c.column === name)!.statistic!, 10);
          expect(got.count).toBe(rows.length);
        }
        expect(w.drift.features.find((f) => f.feature === "city")!.method).toBe("linf");
        // Shifted traffic (hour 3) drifts on x only.
        expect(w.drift.features.filter((f) => f.drifted).map((f) => f.feature)).toEqual(h === 3 ? ["x"] : []);
      }
      const first = report.windows[0]!;
      const want = classificationMetrics({ labels: labelled.map((x) => x.truth), predictions: labelled.map((x) => x.output as string) });
      expect(first.labels).toEqual({ count: 300, coverage: 300 / 1500 });
      expect(first.performance).toMatchObject({ task: "classification", count: 300 });
      expect(first.performance!.accuracy).toBeCloseTo(want.accuracy!, 12);
      expect(first.performance!.f1).toBeCloseTo(want.f1!, 12);
      expect(report.windows[1]!.performance).toBeNull();
    }
  });

  it("raises label coverage and shows the accuracy drop of shifted traffic once its labels arrive", async () => {
    const { project, m } = await setUp();
    const rows = servedRows(400, 21);
    await storeHour(srv(), m, T0, rows);
    const q = { from: iso(T0), to: iso(T0 + HOUR) };
    const before = (await call(srv(), "GET", url(project, m.name, q))).body.windows[0];
    expect(before.labels).toEqual({ count: 0, coverage: 0 });
    expect(before.performance).toBeNull();
    await storeLabels(srv(), m, T0, rows.slice(0, 200).map((r) => ({ label: r.truth, output: r.output })));
    const mid = (await call(srv(), "GET", url(project, m.name, q))).body.windows[0];
    expect(mid.labels).toEqual({ count: 200, coverage: 0.5 });
    const good = mid.performance.accuracy;
    expect(good).toBeGreaterThan(0.8);
    // The world changed: the truth flipped for the other half, and the model did not notice.
    await storeLabels(srv(), m, T0, rows.slice(200).map((r) => ({ label: r.truth === "1" ? "0" : "1", output: r.output })));
    const after = (await call(srv(), "GET", url(project, m.name, q))).body.windows[0];
    expect(after.labels).toEqual({ count: 400, coverage: 1 });
    expect(after.performance.accuracy).toBeLessThan(good - 0.3);
  });

  it("merges 24 hourly windows into a day, with drift over the whole day's bins", async () => {
    const { project, m } = await setUp();
    const day: Served[] = [];
    for (let h = 0; h < 24; h++) {
      const rows = servedRows(40 + h, 100 + h, h >= 12 ? 30 : 0);
      day.push(...rows);
      await storeHour(srv(), m, T0 + h * HOUR, rows);
    }
    await storeHour(srv(), m, T0 + 24 * HOUR, servedRows(50, 999));
    const r = await call(srv(), "GET", url(project, m.name, { from: iso(T0), to: iso(T0 + 2 * 24 * HOUR), window: "1d", method: "psi" }));
    expect(r.status).toBe(200);
    const [first, second] = r.body.windows;
    expect(r.body.windows).toHaveLength(2);
    expect(first.count).toBe(day.length);
    expect(second.count).toBe(50);
    const direct = driftAgainstProfile(m.profile, { x: column(day, "x") }, { method: "psi" });
    expect(first.drift.features.find((f: { feature: string }) => f.feature === "x").statistic).toBeCloseTo(direct.columns[0]!.statistic!, 10);
    const lat = Float64Array.from(day.map((x) => x.latencyMs!)).sort();
    expect(Math.abs(rankOf(lat, first.latencyMs.p99) - 0.99)).toBeLessThan(0.01);
    // The hourly view of the same day sums to it.
    const hourly = (await call(srv(), "GET", url(project, m.name, { from: iso(T0), to: iso(T0 + 24 * HOUR) }))).body.windows;
    expect(hourly).toHaveLength(24);
    expect(hourly.reduce((s: number, w: { count: number }) => s + w.count, 0)).toBe(day.length);
  });

  it("reads a compacted window with the parts not folded in yet, and re-reads it once compaction changes it", async () => {
    const { project, m } = await setUp();
    const a = servedRows(300, 31);
    const b = servedRows(200, 32);
    const [part] = await srv().query<{ id: number }>(`insert into prediction_window_parts (model_version_id, window_start, aggregate) values ($1::uuid, $2::timestamptz, $3::text::jsonb) returning id::int as id`, [
      m.versionId,
      iso(T0),
      JSON.stringify(aggregatePredictions(a, m.reference)),
    ]);
    // Compaction folds that part into the window and deletes it, in one transaction.
    await srv().query(`insert into prediction_windows (model_version_id, window_start, aggregate, through_part) values ($1::uuid, $2::timestamptz, $3::text::jsonb, $4)`, [
      m.versionId,
      iso(T0),
      JSON.stringify(mergeWindowAggregates(aggregatePredictions(a, m.reference), aggregatePredictions([], m.reference))),
      part!.id,
    ]);
    await srv().query(`delete from prediction_window_parts where id = $1`, [part!.id]);
    await storeHour(srv(), m, T0, b);
    const q = url(project, m.name, { from: iso(T0), to: iso(T0 + HOUR), version: 1 });
    const w = (await call(srv(), "GET", q)).body.windows[0];
    expect(w.count).toBe(500);
    expect(w.latencyMs.count).toBe(500);
    // Compaction merges b's parts in (and deletes them); the server's copy of the old window must not be reused.
    const [last] = await srv().query<{ id: number }>(`select max(id)::int as id from prediction_window_parts`);
    await srv().query(`update prediction_windows set aggregate = $1::text::jsonb, through_part = $2, updated_at = now() where model_version_id = $3::uuid`, [
      JSON.stringify(mergeWindowAggregates(aggregatePredictions(a, m.reference), aggregatePredictions(b, m.reference))),
      last!.id,
      m.versionId,
    ]);
    await srv().query(`delete from prediction_window_parts where model_version_id = $1::uuid`, [m.versionId]);
    expect((await call(srv(), "GET", q)).body.windows[0].count).toBe(500);
    await storeHour(srv(), m, T0, servedRows(10, 33));
    expect((await call(srv(), "GET", q)).body.windows[0].count).toBe(510);
  });

  it("after a restart reports the figures it stored without reading the hours again, and recomputes a window whose hours changed", async () => {
    const { project, m } = await setUp();
    for (const h of [0, 1, 2]) await storeHour(srv(), m, T0 + h * HOUR, servedRows(200 + h * 50, 40 + h));
    const db = srv().server()!.ctx.db;
    await compactWindows(db);
    const hourly = url(project, m.name, { from: iso(T0), to: iso(T0 + 3 * HOUR), version: 1 });
    const daily = url(project, m.name, { from: iso(T0), to: iso(T0 + 3 * HOUR), version: 1, window: "1d" });
    const first = (await call(srv(), "GET", hourly)).body;
    const firstDay = (await call(srv(), "GET", daily)).body;
    await summaryWritesSettled();
    expect(first.windows.map((w: { count: number }) => w.count)).toEqual([200, 250, 300]);
    const storedRows = () => srv().query<{ n: number }>("select count(*)::int as n from prediction_window_summaries where model_version_id = $1::uuid", [m.versionId]);
    expect(Number((await storedRows())[0]!.n)).toBe(3 + 1);
    // A restarted server: no figures in memory. The hours' aggregates are emptied behind its back
    // (their stamps kept): a report that read them would change.
    forgetReportCaches();
    await srv().query("update prediction_windows set aggregate = $1::text::jsonb, updated_at = updated_at where model_version_id = $2::uuid", [JSON.stringify(aggregatePredictions([], m.reference)), m.versionId]);
    expect((await call(srv(), "GET", hourly)).body).toEqual(first);
    expect((await call(srv(), "GET", daily)).body).toEqual(firstDay);
    // New predictions in hour 1: its figures (and the day's) are computed again from what is stored now
    // (the emptied aggregate and the new part), the other hours' reused, before and after compaction.
    await storeHour(srv(), m, T0 + HOUR, servedRows(10, 49));
    expect((await call(srv(), "GET", hourly)).body.windows.map((w: { count: number }) => w.count)).toEqual([200, 10, 300]);
    await compactWindows(db);
    forgetReportCaches();
    expect((await call(srv(), "GET", hourly)).body.windows.map((w: { count: number }) => w.count)).toEqual([200, 10, 300]);
    expect((await call(srv(), "GET", daily)).body.windows[0].count).toBe(10);
    await summaryWritesSettled();
    expect(Number((await storedRows())[0]!.n)).toBe(3 + 1);
  });

  it("merges versions per window and measures drift against the newest version's training data", async () => {
    const { project, m } = await setUp();
    const v2 = await registerMonitoredModel(srv(), project, m.name, 2);
    await storeHour(srv(), m, T0, servedRows(100, 41));
    await storeHour(srv(), v2, T0, servedRows(70, 42));
    const all = (await call(srv(), "GET", url(project, m.name, { from: iso(T0), to: iso(T0 + HOUR) }))).body;
    expect(all.windows[0].count).toBe(170);
    expect(all.reference.datasetVersionId).toBe(v2.datasetVersionId);
    // v1 was trained on other data: its bins do not add to v2's.
    expect(all.windows[0].drift.features.find((f: { feature: string }) => f.feature === "x").count).toBe(70);
    const one = (await call(srv(), "GET", url(project, m.name, { from: iso(T0), to: iso(T0 + HOUR), version: 1 }))).body;
    expect(one.version).toBe(1);
    expect(one.windows[0].count).toBe(100);
    expect(one.reference.datasetVersionId).toBe(m.datasetVersionId);
  });

  it("says 404 for an unknown model or version and 400 naming the query field for bad ranges", async () => {
    const { project, m } = await setUp();
    const get = (name: string, q: Record<string, string | number>) => call(srv(), "GET", url(project, name, q));
    expect((await get("nope", {})).status).toBe(404);
    expect((await get(m.name, { version: 7 })).status).toBe(404);
    expect((await get(m.name, { version: 2 ** 53 - 1 })).status).toBe(404);
    const other = await newProject(srv());
    expect((await call(srv(), "GET", url(other, m.name, {}))).status).toBe(404);
    const bad = async (q: Record<string, string | number>, field: string) => {
      const r = await get(m.name, q);
      expect(r.status, JSON.stringify(q)).toBe(400);
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    };
    await bad({ from: iso(T0), to: iso(T0) }, "query.from");
    await bad({ from: iso(T0 + HOUR), to: iso(T0) }, "query.from");
    await bad({ from: iso(T0 - 401 * 24 * HOUR), to: iso(T0) }, "query.from");
    await bad({ from: "yesterday" }, "query.from");
    await bad({ to: "2026-13-45T99:00:00Z" }, "query.to");
    await bad({ window: "5m" }, "query.window");
    await bad({ method: "ks" }, "query.method");
    await bad({ version: 0 }, "query.version");
    // Defaults: the last 24 hours, hourly, every window present.
    const d = await get(m.name, {});
    expect(d.status).toBe(200);
    expect(d.body.windows.length).toBeGreaterThanOrEqual(24);
    expect(d.body.windows.length).toBeLessThanOrEqual(25);
  });

  it("counts labels still waiting for their prediction after the pending period as orphaned", async () => {
    const { project, m } = await setUp();
    const [{ id }] = (await srv().query<{ id: string }>(`select id::text as id from projects where name = $1`, [project])) as [{ id: string }];
    const label = (pid: string, hoursAgo: number, matched: boolean) =>
      srv().query(`insert into prediction_labels (prediction_id, project_id, label, labelled_at, received_at, matched) values ($1::uuid, $2::uuid, '"1"'::jsonb, now(), now() - ($3 || ' hours')::interval, $4)`, [pid, id, String(hoursAgo), matched]);
    await label("0190a000-0000-7000-8000-000000000001", 200, false);
    await label("0190a000-0000-7000-8000-000000000002", 200, true);
    await label("0190a000-0000-7000-8000-000000000003", 1, false);
    expect((await call(srv(), "GET", url(project, m.name, {}))).body.orphanedLabels).toBe(1);
  });

  describe("with CAIRN_LABEL_PENDING_HOURS=0.5", () => {
    const short = useServer(driver, { CAIRN_LABEL_PENDING_HOURS: "0.5" });
    it("counts a label orphaned after the configured period", async () => {
      const project = await newProject(short());
      const m = await registerMonitoredModel(short(), project);
      const [{ id }] = (await short().query<{ id: string }>(`select id::text as id from projects where name = $1`, [project])) as [{ id: string }];
      await short().query(`insert into prediction_labels (prediction_id, project_id, label, labelled_at, received_at) values ('0190a000-0000-7000-8000-000000000009'::uuid, $1::uuid, '1'::jsonb, now(), now() - interval '1 hour')`, [id]);
      expect((await call(short(), "GET", url(project, m.name, {}))).body.orphanedLabels).toBe(1);
    });
  });

  it("shows one feature's window profile beside the training profile", async () => {
    const { project, m } = await setUp();
    const rows = servedRows(500, 51, 10);
    await storeHour(srv(), m, T0, rows);
    const base = `/api/v1/projects/${project}/models/${m.name}/monitoring/distribution`;
    const r = await call(srv(), "GET", `${base}?feature=x&start=${iso(T0 + 30 * 60_000)}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.feature).toBe("x");
    expect(r.body.reference).toEqual(m.profile.columns.find((c) => c.name === "x"));
    expect(r.body.current.count).toBe(500);
    expect(r.body.current.numerical.min).toBeCloseTo(Math.min(...column(rows, "x")), 9);
    const none = await call(srv(), "GET", `${base}?feature=zzz&start=${iso(T0)}&window=1d`);
    expect(none.body).toEqual({ feature: "zzz", reference: null, current: null });
    expect((await call(srv(), "GET", `${base}?feature=x&start=nope`)).status).toBe(400);
    expect((await call(srv(), "GET", `${base}?feature=x&start=${iso(T0)}&version=9`)).status).toBe(404);
  });
});
