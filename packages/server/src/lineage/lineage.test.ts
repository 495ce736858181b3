import { describe, expect, it } from "vitest";
import { testDrivers, type TestServer } from "../testing.js";
import { call, newProject, newRun, useServer } from "../../test/support.js";

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

async function datasetVersion(srv: TestServer, project: string, name: string, n: number): Promise<string> {
  const r = await call(srv, "POST", `/api/v1/projects/${project}/datasets/${name}/versions`, {
    digest: digest(n),
    rowCount: 10,
    schema: { columns: [{ name: "x", type: "numerical", nullable: false }] },
  });
  expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
  return r.body.id;
}

async function link(srv: TestServer, runId: string, direction: "inputs" | "outputs", datasetVersionId: string, role: string) {
  const r = await call(srv, "POST", `/api/v1/runs/${runId}/${direction}`, { datasetVersionId, role });
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
}

async function artifact(srv: TestServer, runId: string, path: string, content: string): Promise<string> {
  const r = await call(srv, "PUT", `/api/v1/runs/${runId}/artifacts/${path}`, content, { "content-type": "text/plain" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

type Graph = { nodes: Array<{ kind: string; id: string; label: string }>; edges: Array<{ from: { id: string }; to: { id: string }; relation: string; role?: string }>; truncated: boolean };
const ids = (g: Graph) => new Set(g.nodes.map((n) => n.id));
const has = (g: Graph, from: string, to: string, relation: string) => g.edges.some((e) => e.from.id === from && e.to.id === to && e.relation === relation);

describe.each(testDrivers)("lineage (%s)", (driver) => {
  const srv = useServer(driver);

  /** train.csv + test.csv → train run → features + model.json; a rerun of the train run reads the features; a child run. */
  async function pipeline() {
    const s = srv();
    const project = await newProject(s);
    const trainData = await datasetVersion(s, project, "train", 1);
    const testData = await datasetVersion(s, project, "test", 2);
    const features = await datasetVersion(s, project, "features", 3);
    const train = await newRun(s, project, { name: "train" });
    await link(s, train.id, "inputs", trainData, "train");
    await link(s, train.id, "inputs", testData, "test");
    await link(s, train.id, "outputs", features, "features");
    const model = await artifact(s, train.id, "model/weights.json", "{}");
    const rerun = await newRun(s, project, { name: "rerun", retrainedFrom: train.id });
    await link(s, rerun.id, "inputs", features, "train");
    const child = await newRun(s, project, { name: "child", parentId: train.id });
    const unrelated = await newRun(s, project, { name: "unrelated" });
    return { s, project, trainData, testData, features, train: train.id, model, rerun: rerun.id, child: child.id, unrelated: unrelated.id };
  }

  it("walks up and down from a run: datasets read, datasets and artifacts produced, reruns and children", async () => {
    const p = await pipeline();
    const g: Graph = (await call(p.s, "GET", `/api/v1/lineage/run/${p.train}`)).body;
    expect(ids(g)).toEqual(new Set([p.train, p.trainData, p.testData, p.features, p.model, p.rerun, p.child]));
    expect(has(g, p.trainData, p.train, "input")).toBe(true);
    expect(g.edges.find((e) => e.from.id === p.testData)?.role).toBe("test");
    expect(has(g, p.train, p.features, "output")).toBe(true);
    expect(has(g, p.train, p.model, "produced")).toBe(true);
    expect(has(g, p.train, p.rerun, "retrained_from")).toBe(true);
    expect(has(g, p.train, p.child, "parent")).toBe(true);
    expect(g.nodes.find((n) => n.id === p.trainData)).toMatchObject({ kind: "dataset_version", label: "train v1" });
    expect(g.nodes.find((n) => n.id === p.model)).toMatchObject({ kind: "artifact", label: "model/weights.json" });
    expect(g.truncated).toBe(false);
  });

  it("follows data downstream from a dataset through runs to what they made, and upstream from an artifact", async () => {
    const p = await pipeline();
    const down: Graph = (await call(p.s, "GET", `/api/v1/lineage/dataset_version/${p.trainData}?direction=down`)).body;
    expect(ids(down)).toEqual(new Set([p.trainData, p.train, p.features, p.model, p.rerun, p.child]));
    // "down" is not the connected component: the run's other input is not downstream of this dataset.
    expect(ids(down).has(p.testData)).toBe(false);
    expect(has(down, p.features, p.rerun, "input")).toBe(true);

    const up: Graph = (await call(p.s, "GET", `/api/v1/lineage/artifact/${p.model}?direction=up`)).body;
    expect(ids(up)).toEqual(new Set([p.model, p.train, p.trainData, p.testData]));

    const rerunUp: Graph = (await call(p.s, "GET", `/api/v1/lineage/run/${p.rerun}?direction=up`)).body;
    expect(ids(rerunUp)).toEqual(new Set([p.rerun, p.features, p.train, p.trainData, p.testData]));
  });

  it("stops at the depth asked for and says the graph goes on", async () => {
    const p = await pipeline();
    const one: Graph = (await call(p.s, "GET", `/api/v1/lineage/dataset_version/${p.trainData}?direction=down&depth=1`)).body;
    expect(ids(one)).toEqual(new Set([p.trainData, p.train]));
    expect(one.truncated).toBe(true);
    const leaf: Graph = (await call(p.s, "GET", `/api/v1/lineage/run/${p.unrelated}`)).body;
    expect(leaf.nodes.map((n) => n.id)).toEqual([p.unrelated]);
    expect(leaf.edges).toEqual([]);
    expect(leaf.truncated).toBe(false);
  });

  it("leaves soft-deleted runs out of the graph, and a deleted project's graph is gone", async () => {
    const p = await pipeline();
    expect((await call(p.s, "DELETE", `/api/v1/runs/${p.rerun}`)).status).toBe(200);
    const g: Graph = (await call(p.s, "GET", `/api/v1/lineage/dataset_version/${p.features}`)).body;
    expect(ids(g)).toEqual(new Set([p.features, p.train, p.trainData, p.testData]));
    expect((await call(p.s, "GET", `/api/v1/lineage/run/${p.rerun}`)).status).toBe(404);
    expect((await call(p.s, "POST", `/api/v1/runs/${p.rerun}/restore`)).status).toBe(200);
    expect(ids((await call(p.s, "GET", `/api/v1/lineage/dataset_version/${p.features}`)).body)).toContain(p.rerun);
    expect((await call(p.s, "DELETE", `/api/v1/projects/${p.project}`)).status).toBe(200);
    expect((await call(p.s, "GET", `/api/v1/lineage/run/${p.train}`)).status).toBe(404);
  });

  it("refuses bad input and hides other projects", async () => {
    const p = await pipeline();
    const bad = await call(p.s, "GET", `/api/v1/lineage/model/${p.train}`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toContain("kind");
    expect((await call(p.s, "GET", `/api/v1/lineage/run/${p.train}?depth=0`)).body.errors[0].path).toContain("depth");
    expect((await call(p.s, "GET", `/api/v1/lineage/run/${p.train}?direction=sideways`)).status).toBe(400);
    expect((await call(p.s, "GET", "/api/v1/lineage/run/not-a-uuid")).status).toBe(404);
    expect((await call(p.s, "GET", `/api/v1/lineage/artifact/${p.train}`)).status).toBe(404);
    const other = await newProject(p.s);
    const key = (await call(p.s, "POST", "/api/v1/keys", { name: "other", role: "reader", projects: [other] })).body;
    const foreign = await call({ url: p.s.url, apiKey: key.secret }, "GET", `/api/v1/lineage/run/${p.train}`);
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body)).not.toContain("weights");
  });
});
