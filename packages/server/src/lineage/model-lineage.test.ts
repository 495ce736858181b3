import { describe, expect, it } from "vitest";
import { call, newProject, useServer } from "../../test/support.js";
import { modelUrl, trainingRun } from "../models/models.testutil.js";
import { testDrivers } from "../testing.js";

type Ref = { kind: string; id: string };
type Graph = { nodes: Array<Ref & { label: string; attributes: Record<string, unknown> }>; edges: Array<{ from: Ref; to: Ref; relation: string; role?: string }>; truncated: boolean };
const has = (g: Graph, from: string, to: string, relation: string, role?: string) =>
  g.edges.some((e) => e.from.id === from && e.to.id === to && e.relation === relation && (role === undefined || e.role === role));

describe.each(testDrivers)("model lineage (%s)", (driver) => {
  const srv = useServer(driver);

  async function registry() {
    const s = srv();
    const project = await newProject(s);
    const t = await trainingRun(s, project);
    const v1 = (await call(s, "POST", `${modelUrl(project, "fraud")}/versions`, { runId: t.runId, artifactPath: "model" })).body;
    const v2 = (await call(s, "POST", `${modelUrl(project, "fraud")}/versions`, { runId: t.runId, artifactPath: "model.onnx", datasets: [{ datasetVersionId: t.test, role: "test" }] })).body;
    await s.query("insert into model_aliases (model_id, alias, model_version_id) values ($1, 'production', $2), ($1, 'staging', $3)", [v1.modelId, v1.id, v2.id]);
    return { s, project, t, v1, v2, production: `${v1.modelId}:production`, staging: `${v1.modelId}:staging` };
  }

  it("follows a training dataset down through the run to the model version and the alias holding it", async () => {
    const { s, t, v1, v2, production, staging } = await registry();
    const g: Graph = (await call(s, "GET", `/api/v1/lineage/dataset_version/${t.train}?direction=down`)).body;
    expect(has(g, t.train, t.runId, "input", "train")).toBe(true);
    expect(has(g, t.runId, v1.id, "registered_as")).toBe(true);
    expect(has(g, t.train, v1.id, "trained_on", "train")).toBe(true);
    expect(has(g, v1.id, production, "promoted_to")).toBe(true);
    // v2 came from the same run but was not trained on this dataset: reached through the run only.
    expect(has(g, t.runId, v2.id, "registered_as")).toBe(true);
    expect(has(g, t.train, v2.id, "trained_on")).toBe(false);
    expect(has(g, v2.id, staging, "promoted_to")).toBe(true);
    expect(g.nodes.find((n) => n.id === v1.id)).toMatchObject({ kind: "model_version", label: "fraud v1", attributes: { version: 1, digest: v1.digest, archived: false, aliases: ["production"] } });
    expect(g.nodes.find((n) => n.id === production)).toMatchObject({ kind: "alias", label: "fraud@production", attributes: { version: 1 } });
    expect(g.truncated).toBe(false);
  });

  it("walks up from a model version and from an alias to the run and the data", async () => {
    const { s, t, v1, v2, production } = await registry();
    const up: Graph = (await call(s, "GET", `/api/v1/lineage/model_version/${v1.id}?direction=up`)).body;
    expect(new Set(up.nodes.map((n) => n.id))).toEqual(new Set([v1.id, t.runId, t.train, t.test]));
    expect(has(up, t.test, v1.id, "trained_on", "test")).toBe(true);
    const fromAlias: Graph = (await call(s, "GET", `/api/v1/lineage/alias/${production}?direction=up&depth=1`)).body;
    expect(fromAlias.nodes.map((n) => n.id).sort()).toEqual([production, v1.id].sort());
    expect(fromAlias.truncated).toBe(true);
    const both: Graph = (await call(s, "GET", `/api/v1/lineage/model_version/${v2.id}`)).body;
    expect(new Set(both.nodes.map((n) => n.kind))).toEqual(new Set(["model_version", "run", "dataset_version", "alias"]));

    expect((await call(s, "GET", `/api/v1/lineage/alias/${v1.modelId}:canary`)).status).toBe(404);
    expect((await call(s, "GET", `/api/v1/lineage/alias/${v1.modelId}`)).status).toBe(404);
    expect((await call(s, "GET", `/api/v1/lineage/model_version/${t.runId}`)).status).toBe(404);
    // Once its run is deleted, a version's lineage no longer leads to it.
    expect((await call(s, "DELETE", `/api/v1/runs/${t.runId}`)).status).toBe(200);
    const orphan: Graph = (await call(s, "GET", `/api/v1/lineage/model_version/${v2.id}?direction=up`)).body;
    expect(orphan.nodes.map((n) => n.id).sort()).toEqual([v2.id, t.test].sort());
  });
});
