import { expect } from "vitest";
import { call } from "../../test/support.js";
import { datasetVersion, modelUrl, trainingRun, versionUrl } from "../models/models.testutil.js";
import type { TestServer } from "../testing.js";

export { modelUrl, versionUrl };
export const aliasUrl = (project: string, model: string, alias: string) => `${modelUrl(project, model)}/aliases/${alias}`;

export const SIGNATURE = {
  inputs: [
    { name: "age", type: "numerical", nullable: false },
    { name: "city", type: "categorical", nullable: false },
  ],
  outputs: [{ name: "fraud", type: "boolean", nullable: false }],
};

/** The issue's example policy. */
export const ISSUE_POLICY = {
  alias: "production",
  rules: [
    { metric: "accuracy", dataset: "test", min: 0.9 },
    { metric: "accuracy", dataset: "test", notWorseThan: "production", tolerance: 0.01 },
    { check: "bias", field: "demographicParityRatio", min: 0.8 },
    { check: "drift", field: "driftedShare", max: 0.3 },
    { check: "schema", compatibleWith: "production" },
    { check: "behaviour", allPass: true },
    { checksNewerThan: "7d" },
  ],
};

/** A key of `role` on `project`, as a server handle. */
export async function keyFor(admin: TestServer, project: string, role: "reader" | "writer" | "admin"): Promise<TestServer> {
  const r = await call(admin, "POST", "/api/v1/keys", { name: `${role}-${project}`, role, projects: [project] });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { ...admin, apiKey: r.body.secret };
}

/** A project's model with a training run to register versions from; `test` is the test dataset version's id. */
export async function modelSetup(srv: TestServer, project: string, model = "fraud") {
  const run = await trainingRun(srv, project);
  const register = async (body: Record<string, unknown> = {}): Promise<number> => {
    const r = await call(srv, "POST", `${modelUrl(project, model)}/versions`, {
      runId: run.runId,
      artifactPath: "model.onnx",
      signature: SIGNATURE,
      datasets: [
        { datasetVersionId: run.train, role: "train" },
        { datasetVersionId: run.test, role: "test" },
      ],
      ...body,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.version as number;
  };
  const postCheck = async (version: number, body: Record<string, unknown>): Promise<string> => {
    const r = await call(srv, "POST", `${versionUrl(project, model, version)}/checks`, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as string;
  };
  /** Performance on the test set (or another dataset version), bias, drift and behaviour checks, each from its arguments. */
  const checks = async (version: number, f: { accuracy: number; ratio?: number; drifted?: number; behaviour?: boolean; testSet?: string }) => {
    const ids = {
      performance: await postCheck(version, { kind: "performance", status: "passed", figures: { accuracy: f.accuracy }, datasets: [{ datasetVersionId: f.testSet ?? run.test, role: "test" }] }),
      bias: await postCheck(version, { kind: "bias", status: "passed", figures: { demographicParityRatio: f.ratio ?? 0.9 } }),
      drift: await postCheck(version, { kind: "drift", status: "passed", figures: { driftedShare: f.drifted ?? 0.1, drifted: false } }),
      behaviour: await postCheck(version, {
        kind: "behaviour",
        status: f.behaviour === false ? "failed" : "passed",
        figures: { passed: f.behaviour !== false, total: 2, failedCount: f.behaviour === false ? 1 : 0, cases: [] },
      }),
    };
    return ids;
  };
  const otherTestSet = (seed = "other") => datasetVersion(srv, project, "test-set", `${seed}-test-${project}`);
  return { run, model, register, postCheck, checks, otherTestSet, url: modelUrl(project, model), alias: (a: string) => aliasUrl(project, model, a) };
}
