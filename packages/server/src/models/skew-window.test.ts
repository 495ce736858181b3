import { CheckResult, SkewReport } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { call, newProject, useServer } from "../../test/support.js";
import { HOUR, registerMonitoredModel, servedRows } from "../monitoring/monitoring.testutil.js";
import { idAt } from "../predictions/predictions.testutil.js";
import { compactWindows } from "../predictions/windows.js";
import { testDrivers, type TestServer } from "../testing.js";
import { modelUrl, versionUrl } from "./models.testutil.js";

const iso = (ms: number) => new Date(ms).toISOString();

/** Logs `rows` for `version` through the ingestion route, one second apart from `start`. */
async function logPredictions(s: TestServer, project: string, version: number, start: number, rows: ReturnType<typeof servedRows>): Promise<void> {
  for (let i = 0; i < rows.length; i += 250) {
    const predictions = rows.slice(i, i + 250).map((r, k) => ({ id: idAt(start + (i + k) * 1000), model: "fraud", version, features: r.features, output: r.output, score: r.score, latencyMs: r.latencyMs }));
    const res = await call(s, "POST", `/api/v1/projects/${project}/predictions`, { predictions });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}

const skewChecks = async (s: TestServer, project: string) => (await call(s, "GET", `${versionUrl(project, "fraud", 1)}/checks?kind=skew`)).body.checks as CheckResult[];

describe.each(testDrivers)("skew of a window of logged predictions (%s)", (driver) => {
  const srv = useServer(driver);

  /** fraud v1 (inputs x, y, city; label `label`) with 600 predictions like the training data in hour h0 and 600 with x shifted by +45 in the next hour. */
  async function setup() {
    const s = srv();
    const project = await newProject(s);
    const m = await registerMonitoredModel(s, project);
    const h0 = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
    await logPredictions(s, project, 1, h0, servedRows(600, 61));
    await logPredictions(s, project, 1, h0 + HOUR, servedRows(600, 62, 45));
    const compute = (body: unknown, version: number | string = 1) => call(s, "POST", `${versionUrl(project, "fraud", version)}/checks/compute`, body);
    return { s, project, m, h0, compute };
  }

  it("passes a window drawn like the training data, fails a shifted one naming the feature, respects per-feature thresholds, and names the window", async () => {
    const { s, project, m, h0, compute } = await setup();
    // Predictions of another version in the same hour are not this version's serving data.
    await registerMonitoredModel(s, project, "fraud", 2);
    await logPredictions(s, project, 2, h0 + 30 * 60_000, servedRows(300, 63, 80));

    const ok = await compute({ kind: "skew", window: { from: iso(h0), to: iso(h0 + HOUR) } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({ kind: "skew", name: "window", status: "passed", source: "server", datasets: [{ datasetVersionId: m.datasetVersionId, role: "train" }] });
    expect(ok.body.figures.window).toEqual({ from: iso(h0), to: iso(h0 + HOUR), rows: 600, requested: { from: iso(h0), to: iso(h0 + HOUR) } });
    expect(ok.body.figures.minRows).toBe(30);
    const okReport = SkewReport.parse({ passed: ok.body.figures.passed, columns: ok.body.figures.columns, skewedColumns: ok.body.figures.skewedColumns });
    // The signature's inputs only: the training table's label is not "missing at serving".
    expect(okReport.columns.map((c) => c.column).sort()).toEqual(["city", "x", "y"]);
    for (const c of okReport.columns) {
      expect(c).toMatchObject({ status: "ok", servingCount: 600, trainingCount: 4000 });
      expect(c.distance!).toBeLessThan(c.threshold);
    }

    const shifted = await compute({ kind: "skew", window: { from: iso(h0 + HOUR), to: iso(h0 + 2 * HOUR) } });
    expect(shifted.body).toMatchObject({ status: "failed", figures: { passed: false, skewedColumns: ["x"], window: { rows: 600 } } });
    const x = (shifted.body.figures.columns as SkewReport["columns"]).find((c) => c.column === "x")!;
    expect(x).toMatchObject({ status: "skewed", method: "jensenshannon", threshold: 0.1, skewed: true });
    // 45% of the shifted values are past the training maximum: all in the top decile bin.
    expect(x.distance!).toBeGreaterThan(0.4);

    // A per-feature threshold above the distance lets x through; the others keep the default.
    const loose = await compute({ kind: "skew", window: { from: iso(h0 + HOUR), to: iso(h0 + 2 * HOUR) }, thresholds: { x: 0.99 } });
    expect(loose.body.status).toBe("passed");
    const looseColumns = loose.body.figures.columns as SkewReport["columns"];
    expect(looseColumns.find((c) => c.column === "x")).toMatchObject({ threshold: 0.99, skewed: false, distance: x.distance });
    expect(looseColumns.find((c) => c.column === "city")!.threshold).toBe(0.1);
    // Only the columns asked for.
    const cityOnly = await compute({ kind: "skew", window: { from: iso(h0 + HOUR), to: iso(h0 + 2 * HOUR) }, columns: ["city"] });
    expect(cityOnly.body).toMatchObject({ status: "passed", figures: { skewedColumns: [] } });
    expect(cityOnly.body.figures.columns.map((c: { column: string }) => c.column)).toEqual(["city"]);

    // Bounds inside hours are widened to whole UTC hours (the resolution predictions are kept at), and both forms are recorded.
    const widened = await compute({ kind: "skew", window: { from: iso(h0 + 10 * 60_000), to: iso(h0 + HOUR + 5 * 60_000) } });
    expect(widened.body.figures.window).toEqual({ from: iso(h0), to: iso(h0 + 2 * HOUR), rows: 1200, requested: { from: iso(h0 + 10 * 60_000), to: iso(h0 + HOUR + 5 * 60_000) } });
    expect(widened.body.status).toBe("failed");

    // Compaction folds the hourly parts into windows: the same figures.
    while ((await compactWindows(s.server()!.ctx.db)) > 0);
    const again = await compute({ kind: "skew", window: { from: iso(h0 + HOUR), to: iso(h0 + 2 * HOUR) } });
    expect(again.body.figures).toEqual(shifted.body.figures);
    expect((await skewChecks(s, project)).map((c) => c.status)).toEqual(["failed", "failed", "passed", "passed", "failed", "passed"]);
  });

  it("reports too few predictions, or none, as not enough data with no distances, and lets minRows lower the bar", async () => {
    const { s, project, h0, compute } = await setup();
    await logPredictions(s, project, 1, h0 + 2 * HOUR, servedRows(12, 64));
    const few = await compute({ kind: "skew", window: { from: iso(h0 + 2 * HOUR), to: iso(h0 + 3 * HOUR) } });
    expect(few.status).toBe(201);
    expect(few.body).toMatchObject({ name: "window", status: "not_enough_data", figures: { passed: null, columns: [], skewedColumns: [], minRows: 30, window: { rows: 12 } } });
    expect(few.body.figures.note).toMatch(/12 predictions of v1 in the window, fewer than 30/);

    const idle = await compute({ kind: "skew", window: { from: iso(h0 - 48 * HOUR), to: iso(h0 - 24 * HOUR) } });
    expect(idle.body).toMatchObject({ status: "not_enough_data", figures: { passed: null, window: { rows: 0 } } });

    const lowered = await compute({ kind: "skew", window: { from: iso(h0 + 2 * HOUR), to: iso(h0 + 3 * HOUR) }, minRows: 10 });
    expect(lowered.body.status).not.toBe("not_enough_data");
    expect(lowered.body.figures.minRows).toBe(10);
    for (const c of lowered.body.figures.columns as SkewReport["columns"]) expect(c.distance).toEqual(expect.any(Number));
    // Rows enough, but the compared column has no values: no verdict, which is not a pass.
    await logPredictions(s, project, 1, h0 + 3 * HOUR, servedRows(12, 65).map((r) => ({ ...r, features: { ...r.features, x: null } })) as never);
    const blank = await compute({ kind: "skew", window: { from: iso(h0 + 3 * HOUR), to: iso(h0 + 4 * HOUR) }, minRows: 10, columns: ["x"] });
    expect(blank.body).toMatchObject({ status: "not_enough_data", figures: { passed: null, window: { rows: 12 } } });
    expect(blank.body.figures.columns).toEqual([expect.objectContaining({ column: "x", status: "not_enough_data", distance: null, servingCount: 0, servingMissing: 12 })]);
    expect((await skewChecks(s, project)).map((c) => c.status)).toEqual(["not_enough_data", lowered.body.status, "not_enough_data", "not_enough_data"]);
  });

  it("refuses a bad window, both serving forms, unknown columns and unknown versions with a 400 or 404 naming the field, storing nothing", async () => {
    const { s, project, h0, compute } = await setup();
    const window = { from: iso(h0), to: iso(h0 + HOUR) };
    const bad: Array<[unknown, string, RegExp]> = [
      [{ kind: "skew", window: { from: iso(h0 + HOUR), to: iso(h0) } }, "window.from", /before window.to/],
      [{ kind: "skew", window: { from: iso(h0), to: iso(h0) } }, "window.from", /before window.to/],
      [{ kind: "skew", window: { from: iso(h0 - 40 * 24 * HOUR), to: iso(h0) } }, "window.from", /at most 31 days/],
      [{ kind: "skew", window: { from: "yesterday", to: iso(h0) } }, "window.from", /RFC 3339/],
      [{ kind: "skew", window: { from: iso(h0) } }, "window.to", /./],
      [{ kind: "skew", window, datasetVersionId: "0190a6b0-0000-7000-8000-000000000000" }, "window", /not both/],
      [{ kind: "skew" }, "datasetVersionId", /or window/],
      [{ kind: "skew", datasetVersionId: "0190a6b0-0000-7000-8000-000000000000", minRows: 10 }, "minRows", /window of predictions only/],
      [{ kind: "skew", window, minRows: 1 }, "minRows", /./],
      [{ kind: "skew", window, columns: ["x", "nope"] }, "columns", /"nope" is not a column of the training profile/],
    ];
    for (const [body, path, message] of bad) {
      const r = await compute(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errors, JSON.stringify(body)).toContainEqual({ path, message: expect.stringMatching(message) });
    }
    expect((await compute({ kind: "skew", window }, 9)).status).toBe(404);
    expect((await call(s, "POST", `${versionUrl(project, "nobody", 1)}/checks/compute`, { kind: "skew", window })).status).toBe(404);
    expect(await skewChecks(s, project)).toEqual([]);
  });

  it("a failed window skew check refuses a promotion under a policy rule on it; a passing one lets it through", async () => {
    const { s, project, h0, compute } = await setup();
    const policy = { alias: "production", rules: [{ check: "skew", name: "window", allPass: true }] };
    expect((await call(s, "PUT", `${modelUrl(project, "fraud")}/policy`, policy)).status).toBe(201);
    const promote = () => call(s, "PUT", `${modelUrl(project, "fraud")}/aliases/production`, { version: 1, reason: "serving looks like training" });

    const none = await promote();
    expect(none.status).toBe(409);
    expect(none.body.errors).toEqual([{ path: "rules[0]", message: 'no evidence: no skew check named "window" recorded for v1' }]);

    const failed = await compute({ kind: "skew", window: { from: iso(h0 + HOUR), to: iso(h0 + 2 * HOUR) } });
    expect(failed.body.status).toBe("failed");
    const refused = await promote();
    expect(refused.status).toBe(409);
    expect(refused.body.errors).toEqual([{ path: "rules[0]", message: `check ${failed.body.id} has status failed` }]);
    expect(refused.body.evaluation.rules[0]).toMatchObject({ passed: false, observed: "failed", evidence: { id: failed.body.id } });
    expect((await call(s, "GET", versionUrl(project, "fraud", 1))).body.aliases).toEqual([]);

    const passed = await compute({ kind: "skew", window: { from: iso(h0), to: iso(h0 + HOUR) } });
    expect(passed.body.status).toBe("passed");
    const moved = await promote();
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.evaluation.rules[0]).toMatchObject({ passed: true, evidence: { id: passed.body.id } });
  });
});
