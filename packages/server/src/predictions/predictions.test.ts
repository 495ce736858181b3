import { aggregatePredictions, encodePredictionColumns, type WindowAggregate } from "@cairn/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, useServer } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { countOrphanedLabels } from "../monitoring/orphaned-labels.js";
import { labelPendingHours } from "../monitoring/monitoring.service.js";
import { runPredictionMaintenance } from "./maintenance.js";
import { DAY_MS, dayOf, dropExpiredPartitions, listPartitionDays } from "./partitions.js";
import { idAt, modelFixture, prediction } from "./predictions.testutil.js";
import { loadReferences } from "./versions.js";
import { HOUR_MS, loadWindowAggregates } from "./windows.js";

const FAR = { from: new Date(Date.now() - 400 * DAY_MS), to: new Date(Date.now() + 2 * DAY_MS) };

describe.each(testDrivers)("predictions and labels (%s)", (driver) => {
  const srv = useServer(driver);
  const ctx = () => srv().server()!.ctx;
  const post = (project: string, predictions: unknown[]) => call(srv(), "POST", `/api/v1/projects/${project}/predictions`, { predictions });
  const postLabels = (project: string, labels: unknown[]) => call(srv(), "POST", `/api/v1/projects/${project}/labels`, { labels });
  const windows = async (versionId: string, profiles = true) => (await loadWindowAggregates(ctx().db, [versionId], FAR.from, FAR.to, { profiles })).get(versionId)!;
  const total = async (versionId: string, pick: (a: WindowAggregate) => number = (a) => a.count) => [...(await windows(versionId)).values()].reduce((s, a) => s + pick(a), 0);
  const stored = async (projectId: string) => Number((await srv().query<{ n: number }>("select count(*)::int as n from predictions where project_id = $1", [projectId]))[0]!.n);

  it("stores a batch once: a re-sent batch is all duplicates and windows do not change", async () => {
    const f = await modelFixture(srv());
    const now = Date.now();
    const batch = Array.from({ length: 50 }, (_, i) => prediction(idAt(now - i), i));
    expect((await post(f.project, batch)).body).toEqual({ accepted: 50, duplicates: 0 });
    expect((await post(f.project, batch)).body).toEqual({ accepted: 0, duplicates: 50 });
    // A batch repeating an id inside itself counts the repeat as a duplicate too.
    const again = [prediction(idAt(now + 1), 1), prediction(idAt(now + 2), 2)];
    expect((await post(f.project, [...again, again[0]!])).body).toEqual({ accepted: 2, duplicates: 1 });
    expect(await stored(f.projectId)).toBe(52);
    expect(await total(f.versionId)).toBe(52);
    await runPredictionMaintenance(ctx());
    expect(await total(f.versionId)).toBe(52);
    expect(await total(f.versionId, (a) => a.latency?.count ?? 0)).toBe(52);
    // Reports read windows without the per-feature profiles.
    const light = [...(await windows(f.versionId, false)).values()];
    expect(light.reduce((s, a) => s + a.count, 0)).toBe(52);
    expect(light.every((a) => a.profile === null)).toBe(true);
  });

  it("refuses a batch naming an unknown model or version with a 404, storing nothing", async () => {
    const f = await modelFixture(srv());
    const now = Date.now();
    for (const bad of [{ model: "nope" }, { version: 2 }]) {
      const r = await post(f.project, [prediction(idAt(now), 0), prediction(idAt(now + 1), 1, bad)]);
      expect(r.status).toBe(404);
      expect(r.body.detail).toMatch(bad.model ? /nope v1/ : /fraud v2/);
    }
    expect(await stored(f.projectId)).toBe(0);
    expect((await windows(f.versionId)).size).toBe(0);
  });

  it("refuses features that are not a flat object of scalars, naming the index", async () => {
    const f = await modelFixture(srv());
    const now = Date.now();
    const batch = Array.from({ length: 20 }, (_, i) => prediction(idAt(now + i), i));
    batch[17] = { ...batch[17]!, features: { x: { deep: 1 } as never, c: "a" } };
    const r = await post(f.project, batch);
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain("predictions[17].features.x");
    const arrays = await post(f.project, [{ ...prediction(idAt(now), 0), features: [1, 2] }]);
    expect(arrays.status).toBe(400);
    expect(arrays.body.errors[0].path).toBe("predictions[0].features");
    const old = await post(f.project, [prediction(idAt(now - 200 * DAY_MS), 0)]);
    expect(old.status).toBe(400);
    expect(old.body.errors[0].path).toBe("predictions[0].id");
    expect(await stored(f.projectId)).toBe(0);
  });

  it("counts a label once whether it arrives before or after its prediction, and only once on re-sends", async () => {
    const f = await modelFixture(srv());
    const now = Date.now();
    const [early, late, never] = [idAt(now), idAt(now + 1), idAt(now + 2)];
    expect((await postLabels(f.project, [{ predictionId: early, label: "1" }, { predictionId: never, label: "0" }])).body).toEqual({ accepted: 2, pending: 2 });
    expect((await post(f.project, [prediction(early, 1), prediction(late, 2)])).body).toEqual({ accepted: 2, duplicates: 0 });
    expect((await postLabels(f.project, [{ predictionId: late, label: "1" }])).body).toEqual({ accepted: 1, pending: 0 });
    // Re-sent, and a changed label for a matched prediction: nothing moves.
    expect((await postLabels(f.project, [{ predictionId: late, label: "1" }, { predictionId: early, label: "0" }])).body).toEqual({ accepted: 2, pending: 0 });
    await post(f.project, [prediction(early, 1)]);
    const labels = await total(f.versionId, (a) => a.labels.count);
    expect(labels).toBe(2);
    const agg = [...(await windows(f.versionId)).values()][0]!;
    // early: predicted "1", label "1"; late: predicted "0", label "1".
    expect(agg.labels.confusion).toEqual({ "1": { "1": 1, "0": 1 } });
    const got = await call(srv(), "GET", `/api/v1/projects/${f.project}/predictions/${early}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: early, modelVersionId: f.versionId, label: "1", output: "1", features: { x: 0.2, c: "b" } });
    expect((await call(srv(), "GET", `/api/v1/projects/${f.project}/predictions/${never}`)).status).toBe(404);
    // Text survives the binary COPY byte for byte: multi-byte characters, quotes, backslashes.
    const odd = idAt(now + 3).toUpperCase();
    const features = { x: -0.5, c: 'é😀"\\ \n', "ключ": true, n: null };
    expect((await post(f.project, [{ ...prediction(odd, 0), features, output: { label: "ø", p: 1e-300 } }])).body).toEqual({ accepted: 1, duplicates: 0 });
    const back = await call(srv(), "GET", `/api/v1/projects/${f.project}/predictions/${odd}`);
    expect(back.body).toMatchObject({ id: odd.toLowerCase(), features, output: { label: "ø", p: 1e-300 }, label: null });
  });

  it("reports labels still pending after the pending period as orphaned", async () => {
    const f = await modelFixture(srv());
    await postLabels(f.project, [{ predictionId: idAt(Date.now()), label: 1 }, { predictionId: idAt(Date.now() + 1), label: 0 }]);
    expect(await countOrphanedLabels(ctx().db.orm, f.projectId, labelPendingHours(ctx()))).toBe(0);
    await srv().query("update prediction_labels set received_at = now() - interval '8 days' where project_id = $1", [f.projectId]);
    expect(await countOrphanedLabels(ctx().db.orm, f.projectId, labelPendingHours(ctx()))).toBe(2);
  });

  it("creates partitions on demand for old ids and drops them past the retention period", async () => {
    const f = await modelFixture(srv());
    const old = Date.now() - 10 * DAY_MS;
    const id = idAt(old);
    expect(await listPartitionDays(ctx().db)).not.toContain(dayOf(old));
    expect((await post(f.project, [prediction(id, 3)])).body).toEqual({ accepted: 1, duplicates: 0 });
    expect(await listPartitionDays(ctx().db)).toContain(dayOf(old));
    await postLabels(f.project, [{ predictionId: id, label: "1" }]);
    expect((await call(srv(), "GET", `/api/v1/projects/${f.project}/predictions/${id}`)).status).toBe(200);
    const dropped = await dropExpiredPartitions(ctx().db, 5 * DAY_MS);
    expect(dropped).toContain(dayOf(old));
    expect(dropped.every((d) => (d + 1) * DAY_MS <= Date.now() - 5 * DAY_MS)).toBe(true);
    expect(await listPartitionDays(ctx().db)).not.toContain(dayOf(old));
    expect(await listPartitionDays(ctx().db)).toContain(dayOf(Date.now()));
    expect((await call(srv(), "GET", `/api/v1/projects/${f.project}/predictions/${id}`)).status).toBe(404);
    expect(await srv().query("select 1 from prediction_labels where prediction_id = $1", [id])).toHaveLength(0);
  });

  it("keeps window aggregates equal to a from-scratch aggregation of the stored rows", async () => {
    const f = await modelFixture(srv());
    const base = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 3 * HOUR_MS;
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const ids: string[] = [];
    for (let b = 0; b < 6; b++) {
      const batch = Array.from({ length: 40 }, (_, i) => {
        const id = rand() < 0.2 && ids.length > 0 ? ids[Math.floor(rand() * ids.length)]! : idAt(base + Math.floor(rand() * 4 * HOUR_MS));
        ids.push(id);
        const features: Record<string, unknown> = { x: rand() < 0.1 ? "text" : rand() * 12 - 1, c: ["a", "b", "z"][Math.floor(rand() * 3)] };
        if (rand() < 0.1) delete features.c;
        if (rand() < 0.1) features.extra = 1;
        return { ...prediction(id, i), features };
      });
      expect((await post(f.project, batch)).status).toBe(200);
      if (b === 2) await runPredictionMaintenance(ctx()); // some parts compacted, some not
    }
    const refs = await loadReferences(ctx().db.orm, [f.versionId]);
    const rows = await srv().query<{ features: Record<string, never>; output: string; score: number; latency_ms: number; hour: number }>(
      "select features, output, score, latency_ms, (floor(extract(epoch from ts) * 1000 / 3600000) * 3600000)::float8 as hour from predictions where model_version_id = $1",
      [f.versionId],
    );
    const loaded = await windows(f.versionId);
    const hours = [...new Set(rows.map((r) => Number(r.hour)))].sort();
    expect([...loaded.keys()].sort()).toEqual(hours);
    for (const h of hours) {
      const scratch = aggregatePredictions(
        rows.filter((r) => Number(r.hour) === h).map((r) => ({ features: r.features, output: r.output, score: r.score, latencyMs: r.latency_ms })),
        refs.get(f.versionId)!,
      );
      const got = loaded.get(h)!;
      expect(got.count).toBe(scratch.count);
      expect(got.violations).toEqual(scratch.violations);
      expect(got.drift).toEqual(scratch.drift);
      expect(got.output.classes).toEqual(scratch.output.classes);
      expect(got.latency!.count).toBe(scratch.latency!.count);
      expect(got.latency!.sum).toBeCloseTo(scratch.latency!.sum, 6);
      expect(got.profile!.columns.map((c) => [c.name, c.count, c.missing]).sort()).toEqual(scratch.profile!.columns.map((c) => [c.name, c.count, c.missing]).sort());
    }
  });

  it("stores a columnar batch (what the SDK sends) as the row form would, with the same windows; a malformed one is a 400 and stores nothing", async () => {
    const [cols, rowsForm] = [await modelFixture(srv()), await modelFixture(srv())];
    const now = Date.now();
    const batch = Array.from({ length: 40 }, (_, i) => prediction(idAt(now - i), i, i === 5 ? { features: { x: 1.5 } } : i === 6 ? { features: { x: 2, c: "b", extra: true } } : {}));
    const columnar = encodePredictionColumns("fraud", 1, batch as Parameters<typeof encodePredictionColumns>[2]);
    expect((await call(srv(), "POST", `/api/v1/projects/${cols.project}/predictions`, columnar)).body).toEqual({ accepted: 40, duplicates: 0 });
    expect((await call(srv(), "POST", `/api/v1/projects/${cols.project}/predictions`, columnar)).body).toEqual({ accepted: 0, duplicates: 40 });
    // Ids are a global key: the row-form twin gets its own ids of the same milliseconds.
    expect((await post(rowsForm.project, batch.map((p, i) => ({ ...p, id: idAt(now - i) })))).body).toEqual({ accepted: 40, duplicates: 0 });
    const storedRows = (projectId: string) =>
      srv().query<Record<string, unknown>>("select id_time, ts, features, output, score, latency_ms from predictions where project_id = $1 order by ts", [projectId]);
    expect(await storedRows(cols.projectId)).toEqual(await storedRows(rowsForm.projectId));
    const strip = (w: Map<number, WindowAggregate>) => JSON.parse(JSON.stringify([...w.entries()]));
    expect(strip(await windows(cols.versionId))).toEqual(strip(await windows(rowsForm.versionId)));

    const valid = JSON.parse(columnar) as { columns: Record<string, unknown> } & Record<string, unknown>;
    const fields = ["model", "version", "count", "ids", "present", "outputs", "features", "numbers"];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), fc.oneof(fc.jsonValue(), fc.base64String(), fc.constant(undefined)), async (field, value) => {
        const body = structuredClone(valid);
        if (value === undefined) delete body.columns[field];
        else body.columns[field] = value;
        const r = await call(srv(), "POST", `/api/v1/projects/${cols.project}/predictions`, JSON.stringify(body));
        expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
        if (r.status === 400) expect(r.body.errors[0].path).toMatch(/^(columns\.|predictions\[|extra|own)/);
      }),
      { numRuns: 25 },
    );
    expect(await stored(cols.projectId)).toBe(40);
    expect(await total(cols.versionId)).toBe(40);
  });

  it("stores overlapping concurrent batches once", async () => {
    const f = await modelFixture(srv());
    const now = Date.now();
    const ids = Array.from({ length: 300 }, (_, i) => idAt(now - i));
    const a = ids.slice(0, 200).map((id, i) => prediction(id, i));
    const b = ids.slice(100).map((id, i) => prediction(id, i + 100));
    const [ra, rb] = await Promise.all([post(f.project, a), post(f.project, b)]);
    expect(ra.body.accepted + rb.body.accepted).toBe(300);
    expect(ra.body.duplicates + rb.body.duplicates).toBe(100);
    expect(await stored(f.projectId)).toBe(300);
    expect(await total(f.versionId)).toBe(300);
  });
  it("stores a columnar batch across midnight UTC in both days' partitions and hours, once under re-sends and concurrent overlapping batches, matching labels that came first", async () => {
    const f = await modelFixture(srv());
    const midnight = dayOf(Date.now()) * DAY_MS;
    const times = Array.from({ length: 60 }, (_, i) => midnight + (i - 30) * 1000);
    const batch = times.map((t, i) => prediction(idAt(t), i));
    const columnar = (rows: typeof batch) => JSON.parse(encodePredictionColumns("fraud", 1, rows as Parameters<typeof encodePredictionColumns>[2]));
    const postColumns = (rows: typeof batch) => call(srv(), "POST", `/api/v1/projects/${f.project}/predictions`, columnar(rows));
    // Labels for one prediction on each side of midnight arrive before them.
    expect((await postLabels(f.project, [{ predictionId: batch[0]!.id, label: "1" }, { predictionId: batch[59]!.id, label: "0" }])).body).toEqual({ accepted: 2, pending: 2 });
    expect((await postColumns(batch.slice(0, 40))).body).toEqual({ accepted: 40, duplicates: 0 });
    // Re-sent whole, then re-sent overlapping new rows, three at once.
    expect((await postColumns(batch.slice(0, 40))).body).toEqual({ accepted: 0, duplicates: 40 });
    const results = await Promise.all([postColumns(batch.slice(20, 50)), postColumns(batch.slice(30, 60)), postColumns(batch.slice(35, 60))]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.reduce((s, r) => s + r.body.accepted, 0)).toBe(20);
    expect(results.reduce((s, r) => s + r.body.duplicates, 0)).toBe(30 + 30 + 25 - 20);
    const perDay = await srv().query<{ day: number; n: number }>(
      "select (extract(epoch from id_time) * 1000 >= $2::float8)::int as day, count(*)::int as n from predictions where project_id = $1 group by 1 order by 1",
      [f.projectId, midnight],
    );
    expect(perDay.map((r) => [Number(r.day), Number(r.n)])).toEqual([
      [0, 30],
      [1, 30],
    ]);
    expect(await listPartitionDays(ctx().db)).toEqual(expect.arrayContaining([dayOf(midnight) - 1, dayOf(midnight)]));
    const byHour = await windows(f.versionId);
    expect([...byHour.keys()].sort()).toEqual([midnight - HOUR_MS, midnight]);
    expect(byHour.get(midnight - HOUR_MS)!.count).toBe(30);
    expect(byHour.get(midnight)!.count).toBe(30);
    expect(byHour.get(midnight - HOUR_MS)!.labels.count + byHour.get(midnight)!.labels.count).toBe(2);
    expect(byHour.get(midnight)!.labels.count).toBe(1);
  });

  it("stores columnar features of any name and number exactly as the row form does", async () => {
    const [cols, rowsForm] = [await modelFixture(srv()), await modelFixture(srv())];
    const now = Date.now();
    const numbers = [0, -0, 1, -1.5, 0.1 + 0.2, 1e-7, 0.000123, 123456789012.25, 1e15 + 2, 1e21, -2.5e-300, Number.MAX_VALUE, 12.3, 7];
    const batch = numbers.map((v, i) => ({
      ...prediction(idAt(now - i), i),
      features: { x: v, "10": -v, "2": i, "ключ é": v / 3, c: ["a", "b"][i % 2]!, ...(i === 3 ? { late: true } : {}) },
      ...(i % 2 ? {} : { output: v }),
    }));
    batch[5] = { ...batch[5]!, features: { only: "own" } as never };
    const columnar = encodePredictionColumns("fraud", 1, batch as Parameters<typeof encodePredictionColumns>[2]);
    expect((await call(srv(), "POST", `/api/v1/projects/${cols.project}/predictions`, columnar)).body).toEqual({ accepted: numbers.length, duplicates: 0 });
    expect((await post(rowsForm.project, batch.map((p, i) => ({ ...p, id: idAt(now - i) })))).body).toEqual({ accepted: numbers.length, duplicates: 0 });
    const storedRows = (projectId: string) => srv().query<Record<string, unknown>>("select ts, features::text as features, output::text as output, score, latency_ms from predictions where project_id = $1 order by ts", [projectId]);
    const [a, b] = [await storedRows(cols.projectId), await storedRows(rowsForm.projectId)];
    expect(a).toEqual(b);
    expect(a.map((r) => JSON.parse(r.features as string).x)).toEqual(numbers.map((v, i) => (i === 5 ? undefined : v === 0 ? 0 : v)).reverse());
    const strip = (w: Map<number, WindowAggregate>) => JSON.parse(JSON.stringify([...w.entries()]));
    expect(strip(await windows(cols.versionId))).toEqual(strip(await windows(rowsForm.versionId)));
  });
});
