import { testDrivers, type TestServer } from "@cairn/server/testing";
import { type MetricPoint, uuidv7 } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../../src/index.js";
import { Cairn } from "../../src/client/cairn.js";
import { projectName, serverPerFile } from "./helpers.js";

/** A value per step with a NaN, both infinities and a spike in it: what the downsampler must get right. */
const valueAt = (step: number): number | "NaN" | "Infinity" | "-Infinity" =>
  step === 1234 ? "NaN" : step === 2000 ? "Infinity" : step === 2001 ? "-Infinity" : step === 3333 ? 50 : Math.sin(step / 100) + step / 1000;

async function logSteps(client: Cairn, runId: string, key: string, steps: number) {
  for (let from = 0; from < steps; from += 10_000) {
    const n = Math.min(10_000, steps - from);
    await client.metrics.log(runId, Array.from({ length: n }, (_, i) => ({ key, step: from + i, value: valueAt(from + i) as MetricPoint["value"], timestamp: 1_700_000_000_000 + (from + i) * 10 })));
  }
}

describe.each(testDrivers)("batch metric histories through the SDK (%s)", (driver) => {
  let srv: TestServer;
  let client: Cairn;
  serverPerFile(driver, (s) => {
    srv = s;
    client = new Cairn({ url: s.url });
  });

  it("answers each series exactly as the single-key read does, in request order, across runs", async () => {
    const projectA = projectName("hist-a");
    const projectB = projectName("hist-b");
    await client.projects.ensure(projectA);
    await client.projects.ensure(projectB);
    const runA = await client.runs.create(projectA, {});
    const runB = await client.runs.create(projectB, {});
    await logSteps(client, runA.id, "train/loss", 25_000);
    await logSteps(client, runA.id, "acc", 30);
    await logSteps(client, runB.id, "train/loss", 700);

    const series = [
      { runId: runA.id, key: "train/loss" }, // downsampled from rollups and raw edges
      { runId: runB.id, key: "train/loss" }, // another run, more points than maxPoints
      { runId: runA.id, key: "acc" }, // full resolution
      { runId: runA.id, key: "train/loss", fromStep: 1000, toStep: 9000 }, // a zoom, downsampled, edges in raw points
      { runId: runA.id, key: "train/loss", fromStep: 1990, toStep: 2300 }, // a zoom at full resolution, with the infinities
      { runId: runA.id.toUpperCase(), key: "acc", fromStep: 40 }, // a range past the last step: empty
      { runId: runA.id, key: "train/loss", toStep: 5 },
    ];
    for (const maxPoints of [500, 2, 1001]) {
      const batch = await client.metrics.histories(series, { maxPoints });
      const single = await Promise.all(
        series.map((s) => client.metrics.history(s.runId, s.key, { maxPoints, ...(s.fromStep === undefined ? {} : { fromStep: s.fromStep }), ...(s.toStep === undefined ? {} : { toStep: s.toStep }) })),
      );
      expect(batch).toEqual(single.map((h) => ({ ...h, runId: h.runId.toLowerCase() })));
    }
    const [whole, other, acc, zoom, raw, empty] = await client.metrics.histories(series, { maxPoints: 500 });
    expect(whole).toMatchObject({ runId: runA.id, key: "train/loss", downsampled: true, total: 25_000 });
    expect(whole!.steps.length).toBeLessThanOrEqual(500);
    expect(whole!.values).toContain(50); // the spike survives
    expect(whole!.values).toContain("Infinity");
    expect(whole!.values).not.toContain("NaN");
    expect(other).toMatchObject({ runId: runB.id, downsampled: true, total: 700 });
    expect(acc).toMatchObject({ downsampled: false, total: 30, steps: Array.from({ length: 30 }, (_, i) => i) });
    expect(zoom).toMatchObject({ downsampled: true, total: 8001 });
    expect(zoom!.steps[0]).toBeGreaterThanOrEqual(1000);
    expect(zoom!.steps.at(-1)).toBeLessThanOrEqual(9000);
    expect(raw).toMatchObject({ downsampled: false, total: 311 });
    expect(raw!.values.slice(10, 12)).toEqual(["Infinity", "-Infinity"]);
    expect(empty).toMatchObject({ total: 0, steps: [] });
    // More series than one rollup statement takes (16): the answers still line up with the request.
    const many = Array.from({ length: 37 }, (_, i) => series[(i * 5) % series.length]!);
    const manyOnce = await client.metrics.histories(series, { maxPoints: 300 });
    const manyBatch = await client.metrics.histories(many, { maxPoints: 300 });
    expect(manyBatch).toEqual(many.map((_, i) => manyOnce[(i * 5) % series.length]));
    // The default maxPoints is the single-key read's (1000).
    expect((await client.metrics.histories([{ runId: runA.id, key: "train/loss" }]))[0]).toEqual(await client.metrics.history(runA.id, "train/loss"));
  });

  it("names the failing series: 400 for bad input, 404 for a missing run or key, hidden from a key of another project", async () => {
    const project = projectName("hist-err");
    await client.projects.ensure(project);
    const run = await client.runs.create(project, {});
    await logSteps(client, run.id, "loss", 10);
    const ok = { runId: run.id, key: "loss" };
    const fails = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

    const cases: Array<[unknown[], number | undefined, string]> = [
      [[], undefined, "series"],
      [[ok, { runId: "not-a-uuid", key: "loss" }], undefined, "series[1].runId"],
      [[ok, ok, { runId: run.id, key: "" }], undefined, "series[2].key"],
      [[{ ...ok, fromStep: -1 }], undefined, "series[0].fromStep"],
      [[{ ...ok, extra: 1 }], undefined, "series[0]"],
      [Array.from({ length: 201 }, () => ok), undefined, "series"],
      [[ok], 1, "maxPoints"],
      [Array.from({ length: 11 }, () => ok), 100_000, "maxPoints"],
    ];
    for (const [series, maxPoints, path] of cases) {
      const err = await fails(client.metrics.histories(series as never, maxPoints === undefined ? {} : { maxPoints }));
      expect(err, path).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors.map((e) => e.path), path).toContain(path);
    }

    const missingRun = await fails(client.metrics.histories([ok, ok, { runId: uuidv7(), key: "loss" }]));
    expect(missingRun).toBeInstanceOf(NotFoundError);
    expect((missingRun as NotFoundError).errors.map((e) => e.path)).toEqual(["series[2].runId"]);
    const missingKey = await fails(client.metrics.histories([ok, { runId: run.id, key: "nope" }]));
    expect(missingKey).toBeInstanceOf(NotFoundError);
    expect((missingKey as NotFoundError).errors.map((e) => e.path)).toEqual(["series[1].key"]);

    // A reader of another project gets the same 404 as for a missing run, and none of the data.
    const other = projectName("hist-other");
    await client.projects.ensure(other);
    const key = await client.keys.create({ name: "other-reader", role: "reader", projects: [other] });
    const outsider = new Cairn({ url: srv.url, apiKey: key.secret });
    const hidden = await fails(outsider.metrics.histories([ok]));
    expect(hidden).toBeInstanceOf(NotFoundError);
    expect((hidden as NotFoundError).errors.map((e) => e.path)).toEqual(["series[0].runId"]);
    expect(JSON.stringify({ message: (hidden as Error).message, errors: (hidden as NotFoundError).errors })).not.toContain(run.name);
    // A reader of the run's own project may read it.
    const reader = new Cairn({ url: srv.url, apiKey: (await client.keys.create({ name: "reader", role: "reader", projects: [project] })).secret });
    expect((await reader.metrics.histories([ok]))[0]).toMatchObject({ total: 10 });
  });
});
