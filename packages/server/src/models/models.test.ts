import { createHash } from "node:crypto";
import { uuidv7 } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { call, newProject, newRun, useServer } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { modelUrl, putFile, trainingRun, versionUrl } from "./models.testutil.js";

const sha = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

describe.each(testDrivers)("model registry (%s)", (driver) => {
  const srv = useServer(driver);

  it("creates a model once, lists models by name page by page, and changes only description and tags", async () => {
    const s = srv();
    const project = await newProject(s);
    const created = await call(s, "POST", `/api/v1/projects/${project}/models`, { name: "fraud", description: "card fraud", tags: { team: "risk" } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ name: "fraud", description: "card fraud", tags: { team: "risk" }, latestVersion: null, aliases: {} });
    const again = await call(s, "POST", `/api/v1/projects/${project}/models`, { name: "fraud", description: "other" });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    await call(s, "POST", `/api/v1/projects/${project}/models`, { name: "churn" });

    const page1 = (await call(s, "GET", `/api/v1/projects/${project}/models?limit=1`)).body;
    expect(page1.models.map((m: { name: string }) => m.name)).toEqual(["churn"]);
    const page2 = (await call(s, "GET", `/api/v1/projects/${project}/models?limit=1&cursor=${page1.nextCursor}`)).body;
    expect(page2).toMatchObject({ models: [{ name: "fraud" }], nextCursor: null });

    const patched = await call(s, "PATCH", modelUrl(project, "fraud"), { description: "fraud v2", tags: { team: null, owner: "ana" } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ description: "fraud v2", tags: { owner: "ana" } });
    expect((await call(s, "GET", modelUrl(project, "fraud"))).body.tags).toEqual({ owner: "ana" });
    expect((await call(s, "PATCH", modelUrl(project, "fraud"), { name: "renamed" })).status).toBe(400);
    const events = (await call(s, "GET", "/api/v1/audit?limit=10")).body.events as Array<{ action: string; before: unknown; after: unknown }>;
    expect(events.find((e) => e.action === "model.update")).toMatchObject({ before: { description: "card fraud", tags: { team: "risk" } }, after: { description: "fraud v2", tags: { owner: "ana" } } });

    expect((await call(s, "GET", modelUrl(project, "nope"))).status).toBe(404);
    expect((await call(s, "GET", modelUrl(project, "-bad"))).body.errors[0].path).toBe("path.name");
    expect((await call(s, "POST", `/api/v1/projects/${project}/models`, { name: "a/b" })).body.errors[0].path).toBe("name");
  });

  it("registers a folder: files relative to it, manifest digest, the run's datasets and latest metrics, and an inferred signature", async () => {
    const s = srv();
    const project = await newProject(s);
    const t = await trainingRun(s, project);
    const r = await call(s, "POST", `${modelUrl(project, "fraud")}/versions`, { runId: t.runId, artifactPath: "model/", labelColumn: "city", framework: "onnx" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const v = r.body;
    expect(v).toMatchObject({ modelName: "fraud", version: 1, runId: t.runId, artifactPath: "model", framework: "onnx", archived: false, aliases: [] });
    expect(v.files).toEqual([
      { path: "config.json", sha256: sha(t.files["model/config.json"]), size: 12 },
      { path: "weights.bin", sha256: sha(t.files["model/weights.bin"]), size: 6 },
    ]);
    expect(v.digest).toBe(sha(`config.json\t${sha(t.files["model/config.json"])}\nweights.bin\t${sha(t.files["model/weights.bin"])}\n`));
    expect(v.metrics).toEqual({ accuracy: 0.9, loss: 0.2 });
    expect(v.datasets.map((d: { datasetVersionId: string; role: string; datasetName: string; version: number }) => [d.role, d.datasetVersionId, d.datasetName, d.version])).toEqual([
      ["test", t.test, "test-set", 1],
      ["train", t.train, "train-set", 1],
    ]);
    expect(v.signature).toEqual({ inputs: [{ name: "age", type: "numerical", nullable: false }], outputs: [expect.objectContaining({ name: "city", type: "categorical" })] });
    // The model came into being with its first version.
    expect((await call(s, "GET", modelUrl(project, "fraud"))).body).toMatchObject({ latestVersion: 1 });
    const events = (await call(s, "GET", "/api/v1/audit?limit=5")).body.events as Array<{ action: string; subject: { id: string } }>;
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(["model_version.create", "model.create"]));
    expect(events.find((e) => e.action === "model_version.create")!.subject.id).toBe(v.id);
  });

  it("registers a single file under its base name with its own sha256 as digest; explicit datasets, metrics and signature win", async () => {
    const s = srv();
    const project = await newProject(s);
    const t = await trainingRun(s, project);
    const signature = { inputs: [{ name: "x", type: "numerical", nullable: true }], outputs: [] };
    const r = await call(s, "POST", `${modelUrl(project, "fraud")}/versions`, {
      runId: t.runId,
      artifactPath: "model.onnx",
      datasets: [{ datasetVersionId: t.test, role: "validation" }],
      metrics: { auc: 0.75 },
      signature,
      description: "first",
      tags: { stage: "dev" },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ artifactPath: "model.onnx", digest: sha("onnx-bytes"), files: [{ path: "model.onnx", sha256: sha("onnx-bytes"), size: 10 }] });
    expect(r.body).toMatchObject({ metrics: { auc: 0.75 }, signature, description: "first", tags: { stage: "dev" } });
    expect(r.body.datasets).toEqual([{ datasetVersionId: t.test, role: "validation", datasetName: "test-set", version: 1 }]);
    // No train dataset and no label: nothing to infer the signature from.
    const bare = await call(s, "POST", `${modelUrl(project, "fraud")}/versions`, { runId: t.runId, artifactPath: "model.onnx", datasets: [] });
    expect(bare.body).toMatchObject({ version: 2, signature: null, datasets: [] });
    // A file named like the folder beside it: the file is what the path names.
    await putFile(s, t.runId, "model", "plain");
    const file = await call(s, "POST", `${modelUrl(project, "fraud")}/versions`, { runId: t.runId, artifactPath: "model" });
    expect(file.body).toMatchObject({ version: 3, digest: sha("plain"), files: [{ path: "model", sha256: sha("plain"), size: 5 }] });
  });

  it("refuses what cannot be registered with a 400 naming the field, and stores nothing", async () => {
    const s = srv();
    const project = await newProject(s);
    const t = await trainingRun(s, project);
    const foreignRun = await newRun(s, await newProject(s));
    await putFile(s, foreignRun.id, "model.onnx", "theirs");
    const url = `${modelUrl(project, "strict")}/versions`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ runId: t.runId, artifactPath: "missing" }, "artifactPath"],
      [{ runId: t.runId, artifactPath: "mod" }, "artifactPath"], // a prefix of a name is not a folder
      [{ runId: t.runId, artifactPath: "../model" }, "artifactPath"],
      [{ runId: foreignRun.id, artifactPath: "model.onnx" }, "runId"],
      [{ runId: uuidv7(), artifactPath: "model.onnx" }, "runId"],
      [{ runId: t.runId, artifactPath: "model", labelColumn: "nope" }, "labelColumn"],
      [{ runId: t.runId, artifactPath: "model", datasets: [{ datasetVersionId: t.test, role: "test" }, { datasetVersionId: uuidv7(), role: "train" }] }, "datasets[1].datasetVersionId"],
      [{ runId: t.runId, artifactPath: "model", signature: { inputs: [{ name: "a\ud800", type: "text", nullable: true }], outputs: [] } }, "signature.inputs[0].name"],
      [{ runId: t.runId, artifactPath: "model", version: 3 }, "(root)"], // unknown keys are refused
    ];
    for (const [body, field] of cases) {
      const r = await call(s, "POST", url, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errors.map((e: { path: string }) => e.path), JSON.stringify(r.body)).toContain(field);
    }
    expect((await call(s, "GET", modelUrl(project, "strict"))).status).toBe(404);
    // A deleted run cannot register.
    expect((await call(s, "DELETE", `/api/v1/runs/${t.runId}`)).status).toBe(200);
    expect((await call(s, "POST", url, { runId: t.runId, artifactPath: "model" })).body.errors[0].path).toBe("runId");
  });

  it("numbers 20 concurrent registrations 1..20 without gaps, and a client id registers once", async () => {
    const s = srv();
    const project = await newProject(s);
    const t = await trainingRun(s, project);
    const url = `${modelUrl(project, "busy")}/versions`;
    const replies = await Promise.all(Array.from({ length: 20 }, () => call(s, "POST", url, { runId: t.runId, artifactPath: "model.onnx" })));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(replies.map((r) => r.body.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await call(s, "GET", `${url}?limit=100`)).body.versions.map((v: { version: number }) => v.version)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));

    const id = uuidv7();
    const retries = await Promise.all(Array.from({ length: 5 }, () => call(s, "POST", url, { id, runId: t.runId, artifactPath: "model" })));
    expect(retries.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(retries.map((r) => r.body.version))).toEqual(new Set([21]));
    expect(retries.every((r) => r.body.id === id)).toBe(true);
    const counted = await s.query<{ n: number }>("select count(*)::int as n from model_versions where id = $1", [id]);
    expect(counted[0]!.n).toBe(1);
    // The same id under another model is not that version.
    expect((await call(s, "POST", `${modelUrl(project, "other")}/versions`, { id, runId: t.runId, artifactPath: "model" })).status).toBe(409);
  });

  it("a version is immutable: PATCH changes description, tags and archived only; `latest` skips archived versions", async () => {
    const s = srv();
    const project = await newProject(s);
    const t = await trainingRun(s, project);
    const url = `${modelUrl(project, "m")}/versions`;
    for (let i = 0; i < 3; i++) expect((await call(s, "POST", url, { runId: t.runId, artifactPath: "model" })).status).toBe(201);
    const v3 = (await call(s, "GET", versionUrl(project, "m", 3))).body;
    for (const body of [{ version: 9 }, { digest: "x" }, { runId: t.runId }, { metrics: { loss: 0 } }, { signature: null }, { description: "ok", artifactPath: "x" }]) {
      const r = await call(s, "PATCH", versionUrl(project, "m", 3), body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await call(s, "GET", versionUrl(project, "m", 3))).body).toEqual(v3);

    const archived = await call(s, "PATCH", versionUrl(project, "m", 3), { archived: true, description: "bad data", tags: { reason: "leak" } });
    expect(archived.status).toBe(200);
    expect(archived.body).toEqual({ ...v3, archived: true, description: "bad data", tags: { reason: "leak" } });
    expect((await call(s, "GET", versionUrl(project, "m", "latest"))).body.version).toBe(2);
    expect((await call(s, "GET", versionUrl(project, "m", 3))).body.archived).toBe(true);
    expect((await call(s, "GET", `${url}?archived=exclude`)).body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect((await call(s, "GET", `${url}?archived=only`)).body.versions.map((v: { version: number }) => v.version)).toEqual([3]);
    const page = (await call(s, "GET", `${url}?limit=2`)).body;
    expect(page.versions.map((v: { version: number }) => v.version)).toEqual([3, 2]);
    expect((await call(s, "GET", `${url}?limit=2&cursor=${page.nextCursor}`)).body).toMatchObject({ versions: [{ version: 1 }], nextCursor: null });
    const events = (await call(s, "GET", "/api/v1/audit?limit=3")).body.events as Array<{ action: string; before: unknown; after: unknown }>;
    expect(events[0]).toMatchObject({ action: "model_version.update", before: { archived: false }, after: { archived: true, version: 3 } });

    for (const n of [1, 2]) await call(s, "PATCH", versionUrl(project, "m", n), { archived: true });
    expect((await call(s, "GET", versionUrl(project, "m", "latest"))).status).toBe(404);
    expect((await call(s, "GET", versionUrl(project, "m", 4))).status).toBe(404);
    expect((await call(s, "GET", versionUrl(project, "m", 0))).body.errors[0].path).toBe("path.version");
    expect((await call(s, "GET", versionUrl(project, "nope", 1))).status).toBe(404);
    expect((await call(s, "PATCH", versionUrl(project, "m", 7), { archived: true })).status).toBe(404);
  });

  it("hides a soft-deleted project's models and another project's ones", async () => {
    const s = srv();
    const project = await newProject(s);
    await call(s, "POST", `/api/v1/projects/${project}/models`, { name: "gone" });
    const other = await newProject(s);
    expect((await call(s, "GET", `/api/v1/projects/${other}/models/gone`)).status).toBe(404);
    const key = (await call(s, "POST", "/api/v1/keys", { name: "other", role: "admin", projects: [other] })).body;
    expect((await call({ url: s.url, apiKey: key.secret }, "GET", `/api/v1/projects/${project}/models/gone`)).status).toBe(404);
    expect((await call(s, "DELETE", `/api/v1/projects/${project}`)).status).toBe(200);
    expect((await call(s, "GET", `/api/v1/projects/${project}/models`)).status).toBe(404);
    expect((await call(s, "GET", `/api/v1/projects/${project}/models/gone`)).status).toBe(404);
    expect((await call(s, "POST", `/api/v1/projects/${project}/models`, { name: "again" })).status).toBe(404);
  });
});
