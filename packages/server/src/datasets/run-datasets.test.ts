import { describe, expect, it } from "vitest";
import { call, newProject, newRun, useServer } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { versionBody } from "./dataset-fixtures.testutil.js";

describe.each(testDrivers)("run inputs and outputs (%s)", (driver) => {
  const srv = useServer(driver);

  it("links versions to a run with roles, idempotently, and lists inputs then outputs", async () => {
    const s = srv();
    const project = await newProject(s);
    const run = await newRun(s, project);
    const post = (name: string, seed: string) => call(s, "POST", `/api/v1/projects/${project}/datasets/${name}/versions`, versionBody(seed));
    const train = (await post("census", "train")).body;
    const test = (await post("census", "test")).body;
    const preds = (await post("predictions", "out")).body;

    const linked = await call(s, "POST", `/api/v1/runs/${run.id}/inputs`, { datasetVersionId: train.id, role: "train" });
    expect(linked.status, JSON.stringify(linked.body)).toBe(201);
    expect(linked.body).toMatchObject({ direction: "input", role: "train", datasetVersion: { id: train.id, name: "census", version: 1 } });
    expect(linked.body.datasetVersion.profile).toBeUndefined();
    expect((await call(s, "POST", `/api/v1/runs/${run.id}/inputs`, { datasetVersionId: train.id, role: "train" })).status).toBe(200);
    // The same version in a second role is a second edge.
    expect((await call(s, "POST", `/api/v1/runs/${run.id}/inputs`, { datasetVersionId: train.id, role: "reference" })).status).toBe(201);
    expect((await call(s, "POST", `/api/v1/runs/${run.id}/inputs`, { datasetVersionId: test.id, role: "test" })).status).toBe(201);
    expect((await call(s, "POST", `/api/v1/runs/${run.id}/outputs`, { datasetVersionId: preds.id, role: "predictions" })).status).toBe(201);

    const listed = (await call(s, "GET", `/api/v1/runs/${run.id}/datasets`)).body.datasets as Array<{ direction: string; role: string; datasetVersion: { id: string } }>;
    expect(listed.map((l) => [l.direction, l.role, l.datasetVersion.id])).toEqual([
      ["input", "train", train.id],
      ["input", "reference", train.id],
      ["input", "test", test.id],
      ["output", "predictions", preds.id],
    ]);
    const events = (await call(s, "GET", "/api/v1/audit?limit=50")).body.events as Array<{ action: string; subject: { id: string } }>;
    expect(events.filter((e) => e.action === "run_dataset.link" && e.subject.id === run.id).length).toBe(4);
  });

  it("refuses versions of another project, bad roles, unknown and deleted runs", async () => {
    const s = srv();
    const project = await newProject(s);
    const other = await newProject(s);
    const run = await newRun(s, project);
    const foreign = (await call(s, "POST", `/api/v1/projects/${other}/datasets/d/versions`, versionBody("f"))).body;
    const mine = (await call(s, "POST", `/api/v1/projects/${project}/datasets/d/versions`, versionBody("m"))).body;

    const cross = await call(s, "POST", `/api/v1/runs/${run.id}/inputs`, { datasetVersionId: foreign.id, role: "train" });
    expect(cross.status).toBe(400);
    expect(cross.body.errors[0].path).toBe("datasetVersionId");
    const unknown = await call(s, "POST", `/api/v1/runs/${run.id}/inputs`, { datasetVersionId: "0190f0f0-0000-7000-8000-000000000000", role: "train" });
    expect(unknown.body.errors[0].path).toBe("datasetVersionId");
    for (const role of ["Train", "", "a b", "x".repeat(101)]) {
      const r = await call(s, "POST", `/api/v1/runs/${run.id}/inputs`, { datasetVersionId: mine.id, role });
      expect(r.status, role).toBe(400);
      expect(r.body.errors[0].path).toBe("role");
    }
    expect((await call(s, "POST", `/api/v1/runs/0190f0f0-0000-7000-8000-000000000000/inputs`, { datasetVersionId: mine.id, role: "train" })).status).toBe(404);
    expect((await call(s, "GET", `/api/v1/runs/${run.id}/datasets`)).body.datasets).toEqual([]);

    await s.query("update runs set deleted_at = now() where id = $1", [run.id]);
    expect((await call(s, "POST", `/api/v1/runs/${run.id}/outputs`, { datasetVersionId: mine.id, role: "train" })).status).toBe(404);
    expect((await call(s, "GET", `/api/v1/runs/${run.id}/datasets`)).status).toBe(404);
  });
});
