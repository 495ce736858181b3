import { createWriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it } from "vitest";
import { Cairn } from "../../src/client/cairn.js";
import { CairnError, init, type SdkErrorEvent } from "../../src/index.js";
import { projectName, serverPerFile, tmp } from "./helpers.js";

const records = [
  { age: 31, city: "Oslo", member: true, score: 0.5 },
  { age: 45, city: "Bergen", member: false, score: 1.25 },
  { age: 27, city: "Oslo", member: true, score: -2 },
  { age: 60, city: "Tromsø", member: false, score: 3.5 },
];
const csv = "age,city,member,score\n31,Oslo,true,0.5\n45,Bergen,false,1.25\n27,Oslo,true,-2\n60,Tromsø,false,3.5\n";

describe.each(testDrivers)("run.logDataset against the real server (%s)", (driver) => {
  let srv: TestServer;
  let client: Cairn;
  serverPerFile(driver, (s) => {
    srv = s;
    client = new Cairn({ url: s.url });
  });
  const newRun = (project: string, onError?: (e: SdkErrorEvent) => void) => init({ project, url: srv.url, spoolDir: tmp(), capture: false, ...(onError ? { onError } : {}) });

  it("the same data as records, columns, a CSV and a JSON Lines file is one version; a changed value is a new one", async () => {
    const project = projectName("datasets");
    const run = await newRun(project);
    const dir = tmp();
    writeFileSync(join(dir, "people.csv"), csv);
    writeFileSync(join(dir, "people.ndjson"), records.map((r) => JSON.stringify(r)).join("\n"));
    const columns = { age: new Float64Array([31, 45, 27, 60]), city: ["Oslo", "Bergen", "Oslo", "Tromsø"], member: [true, false, true, false], score: [0.5, 1.25, -2, 3.5] };

    const fromRecords = await run.logDataset({ name: "people", data: records });
    const fromColumns = await run.logDataset({ name: "people", data: columns, role: "validation" });
    const fromCsv = await run.logDataset({ name: "people", data: join(dir, "people.csv"), role: "test" });
    const fromJsonl = await run.logDataset({ name: "people", data: join(dir, "people.ndjson"), role: "reference" });
    expect(fromRecords).toMatchObject({ version: 1, rowCount: 4 });
    for (const v of [fromColumns, fromCsv, fromJsonl]) expect(v.id).toBe(fromRecords.id);
    expect(fromRecords.schema.columns.map((c) => [c.name, c.type])).toEqual([["age", "numerical"], ["city", "categorical"], ["member", "boolean"], ["score", "numerical"]]);
    expect(fromRecords.profile!.columns[0]!.numerical!.mean).toBeCloseTo(40.75);

    const changed = await run.logOutputDataset({ name: "people", data: records.map((r, i) => (i === 2 ? { ...r, age: 28 } : r)) });
    expect(changed.version).toBe(2);
    expect(changed.digest).not.toBe(fromRecords.digest);

    const links = (await client.runs.datasets(run.id)).datasets.map((l) => [l.direction, l.role, l.datasetVersion.version]);
    expect(links).toEqual([
      ["input", "train", 1],
      ["input", "validation", 1],
      ["input", "test", 1],
      ["input", "reference", 1],
      ["output", "output", 2],
    ]);
    expect((await client.datasets.list(project)).datasets).toMatchObject([{ name: "people", latestVersion: 2 }]);
    expect((await client.datasets.get(project, "people")).latestVersion).toBe(2);
    expect((await client.datasets.versions(project, "people")).versions.map((v) => [v.version, v.profile])).toEqual([[2, null], [1, null]]);
    expect((await client.datasets.version(project, "people", fromRecords.digest)).version).toBe(1);
    expect((await client.datasets.version(project, "people", "latest")).id).toBe(changed.id);
    expect((await client.datasets.byId(changed.id)).profile!.rowCount).toBe(4);
    await run.finish();
  });

  it("a ragged CSV rejects naming the file and the line, and nothing is stored", async () => {
    const project = projectName("ragged");
    const errors: SdkErrorEvent[] = [];
    const run = await newRun(project, (e) => errors.push(e));
    const file = join(tmp(), "ragged.csv");
    writeFileSync(file, "a,b\n1,2\n3,4\n5\n7,8\n");
    const err = await run.logDataset({ name: "ragged", data: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CairnError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/line 4\b/);
    expect(errors.some((e) => e.op === "logDataset()")).toBe(true);
    const jsonl = join(tmp(), "bad.jsonl");
    writeFileSync(jsonl, '{"a":1}\n\n{"a":2}\n[3]\n');
    await expect(run.logDataset({ name: "bad-lines", data: jsonl })).rejects.toThrow(/bad\.jsonl: line 4: a line must hold a JSON object/);
    const unknownExt = join(tmp(), "data.txt");
    writeFileSync(unknownExt, "a\n1\n");
    await expect(run.logDataset({ name: "txt", data: unknownExt })).rejects.toThrow(/pass `format`/);
    expect((await run.logDataset({ name: "txt", data: unknownExt, format: "csv" })).rowCount).toBe(1);
    await expect(run.logDataset({ name: "x", data: join(tmp(), "missing.csv") })).rejects.toThrow(/no such file/);
    await expect(run.logDataset({ name: "-bad", data: records })).rejects.toThrow(/invalid name/);
    await expect(run.logDataset({ name: "ok", data: records, role: "Not A Word" })).rejects.toThrow(/invalid role/);
    await run.finish();
    expect((await client.datasets.list(project)).datasets.map((d) => d.name)).toEqual(["txt"]);
    expect((await client.runs.datasets(run.id)).datasets.map((l) => l.datasetVersion.name)).toEqual(["txt"]);
  });

  it("edge shapes the server accepts: no rows, missing values, dates, NaN, a column first seen late", async () => {
    const project = projectName("edges");
    const run = await newRun(project);
    const headerOnly = join(tmp(), "empty.csv");
    writeFileSync(headerOnly, "a,b\n");
    const empty = await run.logDataset({ name: "empty", data: headerOnly });
    expect(empty).toMatchObject({ rowCount: 0 });
    expect(empty.schema.columns.map((c) => c.name)).toEqual(["a", "b"]);
    expect((await run.logDataset({ name: "none", data: [] })).rowCount).toBe(0);
    const mixed = await run.logDataset({
      name: "mixed",
      data: [
        { t: new Date("2026-01-01T00:00:00Z"), x: 1, s: "a" },
        { t: new Date("2026-01-02T00:00:00Z"), x: Number.NaN, s: null },
        { t: null, x: Number.POSITIVE_INFINITY, late: true },
        { t: new Date("2026-01-03T00:00:00Z"), x: 2.5, s: "b", late: false },
      ],
    });
    const types = Object.fromEntries(mixed.schema.columns.map((c) => [c.name, [c.type, c.nullable]]));
    expect(types).toMatchObject({ t: ["datetime", true], x: ["numerical", false], late: ["boolean", true] });
    expect(mixed.rowCount).toBe(4);
    const csvDates = join(tmp(), "dates.csv");
    writeFileSync(csvDates, "t,x\n2026-01-01T00:00:00Z,1\n,2\n");
    expect((await run.logDataset({ name: "dates", data: csvDates })).schema.columns[0]).toMatchObject({ name: "t", type: "datetime", nullable: true });
    await run.finish();
  });

  it("upload: true stores the file, or the in-memory rows as JSON Lines, as an artifact of the run", async () => {
    const project = projectName("upload");
    const run = await newRun(project);
    const file = join(tmp(), "people.csv");
    writeFileSync(file, csv);
    const fromFile = await run.logDataset({ name: "people", data: file, upload: true });
    const prefix = fromFile.digest.slice(7, 23);
    expect(fromFile.artifact).toEqual({ runId: run.id, path: `datasets/people/${prefix}.csv` });
    const fromRows = await run.logOutputDataset({ name: "scored", data: records.map((r) => ({ ...r, p: r.score / 10 })), upload: true });
    expect(fromRows.artifact!.path).toMatch(/^datasets\/scored\/[0-9a-f]{16}\.jsonl$/);
    await run.finish();
    const dest = tmp();
    await client.artifacts.download(run.id, fromFile.artifact!.path, join(dest, "a.csv"));
    await client.artifacts.download(run.id, fromRows.artifact!.path, join(dest, "b.jsonl"));
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(join(dest, "a.csv"), "utf8")).toBe(csv);
    const lines = readFileSync(join(dest, "b.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ age: 31, city: "Oslo", member: true });
    // The uploaded rows profile to the same version.
    const again = await (await newRun(project)).logOutputDataset({ name: "scored", data: join(dest, "b.jsonl") });
    expect(again.id).toBe(fromRows.id);
  });

  it("streams a 300,000-row CSV from disk in chunks, restarting when a late value widens a column", async () => {
    const project = projectName("large");
    const run = await newRun(project);
    const file = join(tmp(), "large.csv");
    const out = createWriteStream(file);
    out.write("id,amount,kind,code\n");
    const kinds = ["card", "cash", "wire"];
    const N = 300_000;
    for (let i = 0; i < N; i += 10_000) {
      let block = "";
      for (let j = i; j < i + 10_000; j++) block += `${j},${(j % 997) / 10},${kinds[j % 3]},${j === N - 1 ? "X1" : j % 50}\n`;
      if (!out.write(block)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
    await new Promise<void>((r, e) => out.end((err?: Error | null) => (err ? e(err) : r())));
    const t0 = Date.now();
    const v = await run.logDataset({ name: "transactions", data: file });
    const ms = Date.now() - t0;
    expect(v.rowCount).toBe(N);
    const byName = Object.fromEntries(v.schema.columns.map((c) => [c.name, c.type]));
    expect(byName).toMatchObject({ id: "numerical", amount: "numerical", kind: "categorical" });
    expect(byName.code).not.toBe("numerical"); // the last row's "X1" widened it after 299,999 numbers
    expect(v.profile!.columns.find((c) => c.name === "id")!.numerical!.max).toBe(N - 1);
    console.log(`profiled ${N} rows x 4 columns from CSV in ${ms} ms (${driver})`);
    // The same rows held in memory give the same version: chunking, read boundaries and the restart change nothing.
    const ids = Float64Array.from({ length: N }, (_, j) => j);
    const inMemory = {
      id: ids,
      amount: Array.from(ids, (j) => (j % 997) / 10),
      kind: Array.from(ids, (j) => kinds[j % 3]),
      code: Array.from(ids, (j) => (j === N - 1 ? "X1" : String(j % 50))),
    };
    expect((await run.logDataset({ name: "transactions", data: inMemory, role: "reference" })).id).toBe(v.id);
    await run.finish();
  }, 120_000);
});
