import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkSkew, DatasetProfiler, SkewReport } from "@cairn/core";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it } from "vitest";
import { Cairn } from "../../src/client/cairn.js";
import { CairnError, init } from "../../src/index.js";
import { projectName, serverPerFile, tmp } from "./helpers.js";

/** Training rows: income spread over 20..99, city mostly oslo. */
const trainRows = Array.from({ length: 300 }, (_, i) => ({ income: 20 + ((i * 37) % 80), city: i % 4 === 0 ? "rome" : "oslo", y: i % 2 }));

describe.each(testDrivers)("client.models.check skew against the version's training profile (%s)", (driver) => {
  let srv: TestServer;
  serverPerFile(driver, (s) => {
    srv = s;
  });

  /** A finished run that logged the training rows (role train) and registered model.json as "loans" with label y. */
  async function trainedModel(tag: string) {
    const project = projectName(tag);
    const run = await init({ project, url: srv.url, spoolDir: tmp(), capture: false });
    const train = await run.logDataset({ name: "loans-train", data: trainRows, role: "train" });
    const file = join(tmp(), "model.json");
    writeFileSync(file, "{}");
    await run.logArtifact(file, { path: "model.json" });
    const v1 = await run.registerModel("loans", "model.json", { labelColumn: "y" });
    await run.finish();
    return { run, train, v1, c: new Cairn({ url: srv.url, project }) };
  }

  it("reads the profile of the version's train dataset, links it, compares the signature's inputs, and records passed or failed from serving data never stored", async () => {
    const { run, train, v1, c } = await trainedModel("skew");
    expect(v1.signature?.inputs.map((i) => i.name)).toEqual(["income", "city"]);

    const serving = trainRows.slice(0, 150).map(({ y: _y, ...r }) => r);
    const ok = await c.models.check("loans", v1.version, { kind: "skew", serving });
    expect(ok).toMatchObject({ kind: "skew", status: "passed", source: "client", datasets: [{ datasetVersionId: train.id, role: "train" }] });
    // The same figures as core's check against the profile logDataset stored.
    const profiler = new DatasetProfiler();
    profiler.addRecords(trainRows);
    const trainingProfile = profiler.finish().profile;
    const servingColumns = { income: serving.map((r) => r.income), city: serving.map((r) => r.city) };
    expect(ok.figures).toEqual(checkSkew(trainingProfile, servingColumns, { columns: ["income", "city"] }));
    // Without the signature's inputs the label would be reported missing at serving, a false alarm.
    expect(checkSkew(trainingProfile, servingColumns).skewedColumns).toEqual(["y"]);

    const richer = serving.map((r) => ({ income: r.income * 3, city: "rome" }));
    const skewed = await c.models.check("loans", v1.version, { kind: "skew", serving: richer, thresholds: { city: 0.9 } });
    expect(skewed.status).toBe("failed");
    expect(SkewReport.parse(skewed.figures).skewedColumns).toEqual(["income"]);
    expect((await c.models.checks("loans", v1.version, { kind: "skew" })).checks.map((k) => k.status)).toEqual(["failed", "passed"]);

    // A version with no train dataset says so, and nothing is recorded.
    const bare = await c.models.register({ name: "loans", runId: run.id, artifactPath: "model.json", datasets: [] });
    const refused = await c.models.check("loans", bare.version, { kind: "skew", serving }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CairnError);
    expect((refused as Error).message).toMatch(/v2 has no dataset with role train/);
    expect((await c.models.checks("loans", bare.version)).checks).toEqual([]);
  });
  it("computeCheck skew over a window of predictions logged through a monitor: the server merges the window's profile and records passed, failed or not enough data", async () => {
    const { train, v1, c } = await trainedModel("skew-window");
    const HOUR = 3_600_000;
    const h0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
    const monitor = c.monitor({ model: "loans", version: v1.version, spoolDir: false });
    trainRows.slice(0, 150).forEach(({ income, city }, i) => monitor.logPrediction({ features: { income, city }, output: i % 2, timestamp: h0 + i * 1000 }));
    trainRows.slice(0, 150).forEach(({ income }, i) => monitor.logPrediction({ features: { income: income * 3, city: "rome" }, output: 1, timestamp: h0 + HOUR + i * 1000 }));
    await monitor.close();
    const window = (from: number, to: number) => ({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });

    const ok = await c.models.computeCheck("loans", v1.version, { kind: "skew", window: window(h0, h0 + HOUR) });
    expect(ok).toMatchObject({ kind: "skew", name: "window", status: "passed", source: "server", datasets: [{ datasetVersionId: train.id, role: "train" }] });
    expect(ok.figures.window).toMatchObject({ ...window(h0, h0 + HOUR), rows: 150 });
    expect(SkewReport.parse({ passed: ok.figures.passed, columns: ok.figures.columns, skewedColumns: ok.figures.skewedColumns }).columns.map((k) => k.column)).toEqual(["income", "city"]);

    const skewed = await c.models.computeCheck("loans", v1.version, { kind: "skew", window: window(h0 + HOUR, h0 + 2 * HOUR), thresholds: { city: 0.9 } });
    expect(skewed).toMatchObject({ status: "failed", figures: { skewedColumns: ["income"], window: { rows: 150 } } });

    const idle = await c.models.computeCheck("loans", v1.version, { kind: "skew", window: window(h0 - 24 * HOUR, h0) });
    expect(idle).toMatchObject({ status: "not_enough_data", figures: { window: { rows: 0 } } });
    const refused = await c.models.computeCheck("loans", v1.version, { kind: "skew", window: window(h0 + HOUR, h0) }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CairnError);
    expect((refused as Error).message).toMatch(/window\.from/);
    expect((await c.models.checks("loans", v1.version, { kind: "skew" })).checks.map((k) => k.status)).toEqual(["not_enough_data", "failed", "passed"]);
  });
});
