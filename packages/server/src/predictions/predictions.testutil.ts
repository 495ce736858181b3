import { randomBytes } from "node:crypto";
import { DatasetProfiler } from "@cairn/core";
import { call, newProject, newRun } from "../../test/support.js";
import type { TestServer } from "../testing.js";
import { digestOf } from "../datasets/dataset-fixtures.testutil.js";

/** A UUIDv7 with this millisecond time (core's generator never goes back in time). */
export function idAt(ms: number): string {
  const b = randomBytes(16);
  for (let i = 0; i < 6; i++) b[i] = Math.floor(ms / 2 ** (8 * (5 - i))) & 0xff;
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Training data: x numerical 0…9.9, c categorical a/b/c, y the label. */
export function trainingBody(seed: string) {
  const p = new DatasetProfiler();
  p.addRecords(Array.from({ length: 1000 }, (_, i) => ({ x: (i % 100) / 10, c: ["a", "b", "c"][i % 3], y: String(i % 2) })));
  const { schema, profile } = p.finish();
  return { digest: digestOf(seed), rowCount: 1000, schema, profile, source: `${seed}.csv` };
}

export interface ModelFixture {
  project: string;
  projectId: string;
  versionId: string;
}

/** A project with model `fraud` v1 trained on trainingBody (signature x, c → y). */
export async function modelFixture(s: TestServer): Promise<ModelFixture> {
  const project = await newProject(s);
  const projectId = (await call(s, "GET", `/api/v1/projects/${project}`)).body.id as string;
  const run = await newRun(s, project);
  await call(s, "PUT", `/api/v1/runs/${run.id}/artifacts/model.bin`, "weights");
  const train = await call(s, "POST", `/api/v1/projects/${project}/datasets/train/versions`, trainingBody(project));
  if (train.status !== 201) throw new Error(`dataset: ${JSON.stringify(train.body)}`);
  const signature = {
    inputs: [
      { name: "x", type: "numerical", nullable: false },
      { name: "c", type: "categorical", nullable: false },
    ],
    outputs: [{ name: "y", type: "categorical", nullable: false }],
  };
  const v = await call(s, "POST", `/api/v1/projects/${project}/models/fraud/versions`, { runId: run.id, artifactPath: "model.bin", signature, datasets: [{ datasetVersionId: train.body.id, role: "train" }] });
  if (v.status !== 201) throw new Error(`model version: ${JSON.stringify(v.body)}`);
  return { project, projectId, versionId: v.body.id };
}

export function prediction(id: string, i: number, extra: Record<string, unknown> = {}) {
  return { id, model: "fraud", version: 1, features: { x: (i % 50) / 5, c: ["a", "b", "c", "d"][i % 4] }, output: String(i % 2), score: (i % 10) / 10, latencyMs: 1 + (i % 7), ...extra };
}
