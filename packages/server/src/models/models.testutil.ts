import { expect } from "vitest";
import { call } from "../../test/support.js";
import { newRun } from "../../test/support.js";
import { versionBody } from "../datasets/dataset-fixtures.testutil.js";
import type { TestServer } from "../testing.js";

export const modelUrl = (project: string, name: string) => `/api/v1/projects/${project}/models/${name}`;
export const versionUrl = (project: string, name: string, version: number | string) => `${modelUrl(project, name)}/versions/${version}`;

/** Uploads raw bytes as a run's artifact (overwriting when asked). */
export async function putFile(srv: TestServer, runId: string, path: string, content: string | Buffer, overwrite = false): Promise<void> {
  const res = await fetch(`${srv.url}/api/v1/runs/${runId}/artifacts/${path}${overwrite ? "?overwrite=true" : ""}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${srv.apiKey}`, "content-type": "application/octet-stream" },
    body: content,
  });
  const text = await res.text();
  expect(res.status, text).toBeLessThan(300);
}

/** Raw bytes of a GET (downloads), with the status and headers. */
export async function getBytes(srv: TestServer, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${srv.url}${path}`, { headers: { authorization: `Bearer ${srv.apiKey}`, ...headers } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** A dataset version (age, city: the real profiler's output) stored in the project; returns its id. */
export async function datasetVersion(srv: TestServer, project: string, name: string, seed: string, rows = 3, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await call(srv, "POST", `/api/v1/projects/${project}/datasets/${name}/versions`, versionBody(seed, rows, extra));
  expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
  return r.body.id as string;
}

/**
 * A finished-looking training run: reads `train` and `test` dataset versions, logs loss and
 * accuracy (the last values 0.2 and 0.9), and wrote `model/weights.bin`, `model/config.json`
 * and `model.onnx`.
 */
export async function trainingRun(srv: TestServer, project: string) {
  const run = await newRun(srv, project, { name: "train" });
  const train = await datasetVersion(srv, project, "train-set", `train-${project}`);
  const test = await datasetVersion(srv, project, "test-set", `test-${project}`);
  for (const [id, role] of [[train, "train"], [test, "test"]] as const) {
    expect((await call(srv, "POST", `/api/v1/runs/${run.id}/inputs`, { datasetVersionId: id, role })).status).toBeLessThan(300);
  }
  const points = [
    { key: "loss", value: 0.5, step: 0 },
    { key: "loss", value: 0.2, step: 1 },
    { key: "accuracy", value: 0.9, step: 1 },
  ];
  expect((await call(srv, "POST", `/api/v1/runs/${run.id}/metrics`, { points })).status).toBe(200);
  const files = { "model/weights.bin": Buffer.from([0, 1, 2, 3, 255, 254]), "model/config.json": '{"layers":2}', "model.onnx": "onnx-bytes" };
  for (const [path, content] of Object.entries(files)) await putFile(srv, run.id, path, content);
  return { runId: run.id as string, train, test, files };
}
