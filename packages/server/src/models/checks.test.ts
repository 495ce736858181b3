import { createHash } from "node:crypto";
import { DatasetProfiler, uuidv7 } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { call, newProject, newRun, useServer } from "../../test/support.js";
import { testDrivers, type TestServer } from "../testing.js";
import { datasetVersion, modelUrl, putFile, trainingRun, versionUrl } from "./models.testutil.js";

/** A dataset version body profiled by the real profiler from `records`. */
function profiledBody(seed: string, records: Array<Record<string, unknown>>) {
  const profiler = new DatasetProfiler();
  profiler.addRecords(records);
  const { schema, profile } = profiler.finish();
  return { digest: `sha256:${createHash("sha256").update(seed).digest("hex")}`, rowCount: records.length, schema, profile };
}

const people = (from: number, n: number, city: (i: number) => string) => Array.from({ length: n }, (_, i) => ({ age: from + ((i * 7) % 40), city: city(i) }));

async function storeVersion(s: TestServer, project: string, name: string, body: unknown): Promise<string> {
  const r = await call(s, "POST", `/api/v1/projects/${project}/datasets/${name}/versions`, body);
  expect([200, 201], JSON.stringify(r.body).slice(0, 300)).toContain(r.status);
  return r.body.id;
}

describe.each(testDrivers)("check results (%s)", (driver) => {
  const srv = useServer(driver);

  it("stores a check as sent, once per client id, and lists newest first by kind, page by page", async () => {
    const s = srv();
    const project = await newProject(s);
    const t = await trainingRun(s, project);
    expect((await call(s, "POST", `${modelUrl(project, "m")}/versions`, { runId: t.runId, artifactPath: "model" })).status).toBe(201);
    const checks = `${versionUrl(project, "m", 1)}/checks`;
    const id = uuidv7();
    const figures = { accuracy: 0.91, perClass: [{ label: "fraud", recall: 0.5 }], nested: { deep: { ok: true, none: null } } };
    const body = { id, kind: "performance", name: "holdout", status: "passed", figures, datasets: [{ datasetVersionId: t.test, role: "test" }], tool: { name: "cairn-cli", version: "0.1.0" } };
    const first = await call(s, "POST", checks, body);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ id, version: 1, kind: "performance", name: "holdout", status: "passed", figures, datasets: [{ datasetVersionId: t.test, role: "test" }], tool: body.tool, source: "client" });
    const again = await call(s, "POST", checks, body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await call(s, "POST", `${modelUrl(project, "m")}/versions`, { runId: t.runId, artifactPath: "model" })).status).toBe(201);
    expect((await call(s, "POST", `${versionUrl(project, "m", 2)}/checks`, body)).status).toBe(409);

    for (const [kind, status] of [["bias", "failed"], ["drift", "warning"], ["bias", "passed"]] as const) {
      expect((await call(s, "POST", checks, { kind, status, figures: { n: 1 } })).status).toBe(201);
    }
    const all = (await call(s, "GET", checks)).body.checks as Array<{ kind: string; status: string }>;
    expect(all.map((c) => `${c.kind}:${c.status}`)).toEqual(["bias:passed", "drift:warning", "bias:failed", "performance:passed"]);
    const bias = (await call(s, "GET", `${checks}?kind=bias`)).body.checks as Array<{ status: string }>;
    expect(bias.map((c) => c.status)).toEqual(["passed", "failed"]);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { checks: Array<{ kind: string; status: string }>; nextCursor: string | null } = (await call(s, "GET", `${checks}?limit=1${cursor ? `&cursor=${cursor}` : ""}`)).body;
      pages.push(...page.checks.map((c) => `${c.kind}:${c.status}`));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual(all.map((c) => `${c.kind}:${c.status}`));
    expect((await call(s, "GET", `${checks}?cursor=forged`)).status).toBe(400);
    expect((await call(s, "GET", `${versionUrl(project, "m", "latest")}/checks`)).body.checks).toEqual([]);
    const events = (await call(s, "GET", "/api/v1/audit?limit=50")).body.events as Array<{ action: string; subject: { id: string } }>;
    expect(events.filter((e) => e.action === "check.create" && e.subject.id === id)).toHaveLength(1);
  });

  it("refuses dataset versions of other projects, unstorable figures and unknown versions, storing nothing", async () => {
    const s = srv();
    const project = await newProject(s);
    const t = await trainingRun(s, project);
    await call(s, "POST", `${modelUrl(project, "m")}/versions`, { runId: t.runId, artifactPath: "model" });
    const theirs = await datasetVersion(s, await newProject(s), "d", "theirs");
    const checks = `${versionUrl(project, "m", 1)}/checks`;
    const bad = await call(s, "POST", checks, { kind: "drift", status: "passed", figures: {}, datasets: [{ datasetVersionId: t.test, role: "reference" }, { datasetVersionId: theirs, role: "current" }] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: "datasets[1].datasetVersionId", message: expect.any(String) }]);
    const nul = await call(s, "POST", checks, { kind: "drift", status: "passed", figures: { columns: [{ name: "a\u0000" }] } });
    expect(nul.body.errors[0].path).toBe("figures.columns[0].name");
    expect((await call(s, "POST", checks, { kind: "Not A Kind", status: "passed", figures: {} })).body.errors[0].path).toBe("kind");
    expect((await call(s, "POST", checks, { kind: "drift", status: "great", figures: {} })).body.errors[0].path).toBe("status");
    expect((await call(s, "POST", `${versionUrl(project, "m", 2)}/checks`, { kind: "drift", status: "passed", figures: {} })).status).toBe(404);
    expect((await call(s, "POST", `${versionUrl(project, "x", 1)}/checks`, { kind: "drift", status: "passed", figures: {} })).status).toBe(404);
    expect((await s.query<{ n: number }>("select count(*)::int as n from check_results c join model_versions v on v.id = c.model_version_id join registered_models m on m.id = v.model_id join projects p on p.id = m.project_id where p.name = $1", [project]))[0]!.n).toBe(0);
  });

  it("computes skew of serving data against the version's training profile (passed and failed), and names what is missing", async () => {
    const s = srv();
    const project = await newProject(s);
    const run = await newRun(s, project);
    const oslo = () => "Oslo";
    const train = await storeVersion(s, project, "train", profiledBody("skew-train", people(20, 200, (i) => (i % 2 ? "Oslo" : "Bergen"))));
    const same = await storeVersion(s, project, "serving", profiledBody("skew-same", people(20, 150, (i) => (i % 2 ? "Oslo" : "Bergen"))));
    const shifted = await storeVersion(s, project, "serving", profiledBody("skew-shifted", people(60, 150, oslo)));
    const unprofiled = await storeVersion(s, project, "serving", { ...profiledBody("skew-bare", people(20, 10, oslo)), profile: undefined });
    await putFile(s, run.id, "model.bin", "weights");
    const register = (datasets: unknown[]) => call(s, "POST", `${modelUrl(project, "m")}/versions`, { runId: run.id, artifactPath: "model.bin", datasets });
    expect((await register([{ datasetVersionId: train, role: "train" }])).status).toBe(201);
    const compute = `${versionUrl(project, "m", 1)}/checks/compute`;

    const ok = await call(s, "POST", compute, { kind: "skew", datasetVersionId: same });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({ kind: "skew", status: "passed", source: "server", figures: { passed: true, skewedColumns: [] } });
    expect(ok.body.datasets).toEqual([{ datasetVersionId: train, role: "train" }, { datasetVersionId: same, role: "serving" }]);
    const skewed = await call(s, "POST", compute, { kind: "skew", datasetVersionId: shifted });
    expect(skewed.body).toMatchObject({ status: "failed", figures: { passed: false } });
    expect(skewed.body.figures.skewedColumns).toEqual(expect.arrayContaining(["age", "city"]));
    // A loose threshold lets the shift through for that column.
    const loose = await call(s, "POST", compute, { kind: "skew", datasetVersionId: shifted, thresholds: { age: 1, city: 1 } });
    expect(loose.body).toMatchObject({ status: "passed" });
    expect((await call(s, "GET", `${versionUrl(project, "m", 1)}/checks?kind=skew`)).body.checks.map((c: { status: string }) => c.status)).toEqual(["passed", "failed", "passed"]);

    const noProfile = await call(s, "POST", compute, { kind: "skew", datasetVersionId: unprofiled });
    expect(noProfile.status).toBe(400);
    expect(noProfile.body.errors[0]).toMatchObject({ path: "datasetVersionId", message: expect.stringContaining("without a profile") });
    expect((await call(s, "POST", compute, { kind: "skew", datasetVersionId: uuidv7() })).body.errors[0].path).toBe("datasetVersionId");
    expect((await register([{ datasetVersionId: same, role: "validation" }])).body.version).toBe(2);
    const noTrain = await call(s, "POST", `${versionUrl(project, "m", 2)}/checks/compute`, { kind: "skew", datasetVersionId: same });
    expect(noTrain.status).toBe(400);
    expect(noTrain.body.errors[0]).toMatchObject({ path: "version.datasets", message: expect.stringContaining("role train") });
    expect((await register([{ datasetVersionId: unprofiled, role: "train" }])).body.version).toBe(3);
    const trainBare = await call(s, "POST", `${versionUrl(project, "m", 3)}/checks/compute`, { kind: "skew", datasetVersionId: same });
    expect(trainBare.body.errors[0]).toMatchObject({ path: "version.datasets", message: expect.stringContaining("without a profile") });
  });

  it("computes signature compatibility with the version an alias points at", async () => {
    const s = srv();
    const project = await newProject(s);
    const run = await newRun(s, project);
    await putFile(s, run.id, "model.bin", "weights");
    const col = (name: string, type: string, nullable = false) => ({ name, type, nullable });
    const register = (signature?: unknown) => call(s, "POST", `${modelUrl(project, "m")}/versions`, { runId: run.id, artifactPath: "model.bin", datasets: [], ...(signature ? { signature } : {}) });
    const base = { inputs: [col("age", "numerical"), col("city", "categorical")], outputs: [col("score", "numerical")] };
    const v1 = (await register(base)).body;
    const compute = (v: number) => call(s, "POST", `${versionUrl(project, "m", v)}/checks/compute`, { kind: "schema", compatibleWith: "production" });

    // No version holds the alias yet: the first deployment passes.
    const first = await compute(1);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ kind: "schema", name: "compatibleWith:production", status: "passed", source: "server", figures: { compatible: true, compatibleWith: "production", holderVersion: null, note: "alias has no version" } });

    await s.query("insert into model_aliases (model_id, alias, model_version_id) values ($1, 'production', $2)", [v1.modelId, v1.id]);
    expect((await call(s, "GET", modelUrl(project, "m"))).body.aliases).toEqual({ production: 1 });
    expect((await call(s, "GET", versionUrl(project, "m", 1))).body.aliases).toEqual(["production"]);

    await register({ inputs: [...base.inputs, col("referrer", "text", true)], outputs: base.outputs });
    const compatible = await compute(2);
    expect(compatible.body).toMatchObject({ status: "passed", figures: { compatible: true, holderVersion: 1, missingInputs: [], addedInputs: ["referrer"], typeChanges: [] } });

    await register({ inputs: [col("age", "categorical"), col("city", "categorical"), col("income", "numerical")], outputs: base.outputs });
    const broken = await compute(3);
    expect(broken.body).toMatchObject({ status: "failed", figures: { compatible: false, compatibleWith: "production", holderVersion: 1, missingInputs: ["income"], addedInputs: [] } });
    expect(broken.body.figures.typeChanges).toEqual([{ column: "age", side: "input", from: "numerical", to: "categorical" }]);

    await register();
    expect((await compute(4)).body).toMatchObject({ status: "error", figures: { compatible: null, note: expect.stringContaining("no signature") } });
    expect((await call(s, "POST", `${versionUrl(project, "m", 1)}/checks/compute`, { kind: "schema", compatibleWith: "Prod" })).body.errors[0].path).toBe("compatibleWith");
    expect((await call(s, "POST", `${versionUrl(project, "m", 1)}/checks/compute`, { kind: "accuracy" })).status).toBe(400);
  });
});
