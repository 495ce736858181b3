import { aggregateLabels, aggregatePredictions, compileReference, type CompiledReference, DatasetProfiler, type DatasetProfile, type LabelPair, type ModelSignature, type PredictionRow } from "@cairn/core";
import { expect } from "vitest";
import { call, newRun } from "../../test/support.js";
import { digestOf } from "../datasets/dataset-fixtures.testutil.js";
import { putFile } from "../models/models.testutil.js";
import type { TestServer } from "../testing.js";

export const HOUR = 3_600_000;
export const CITIES = ["ams", "ber", "cph", "dub"] as const;

export function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const city = (u: number) => CITIES[u < 0.4 ? 0 : u < 0.7 ? 1 : u < 0.9 ? 2 : 3]!;

/** Training records: x ~ U(0, 100), y ~ Exp(mean 3), city 40/30/20/10, label "1" when x > 70. */
export function trainingRecords(n: number, seed = 1) {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const x = r() * 100;
    return { x, y: -Math.log(1 - r()) * 3, city: city(r()), label: x > 70 ? "1" : "0" };
  });
}

/** A served prediction like the training data; `shiftX` moves x (and so the predicted class) only. */
export interface Served extends PredictionRow {
  id: string;
  /** The truth the model would be scored against. */
  truth: string;
}

export function servedRows(n: number, seed: number, shiftX = 0): Served[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = r() * 100 + shiftX;
    const output = r() < 0.9 ? (x > 70 ? "1" : "0") : x > 70 ? "0" : "1";
    return { id: `${seed}-${i}`, features: { x, y: -Math.log(1 - r()) * 3, city: city(r()) }, output, score: r(), latencyMs: 2 + r() * 30, truth: x > 70 ? "1" : "0" };
  });
}

export interface MonitoredModel {
  name: string;
  versionId: string;
  profile: DatasetProfile;
  signature: ModelSignature;
  reference: CompiledReference;
  datasetVersionId: string;
}

/** A model version registered from a run that trained on a profiled dataset (label column `label`). */
export async function registerMonitoredModel(srv: TestServer, project: string, name = "fraud", seed = 1): Promise<MonitoredModel> {
  const profiler = new DatasetProfiler();
  profiler.addRecords(trainingRecords(4000, seed));
  const { schema, profile } = profiler.finish();
  const dv = await call(srv, "POST", `/api/v1/projects/${project}/datasets/train-${name}-${seed}/versions`, { digest: digestOf(`${project}-${name}-${seed}`), rowCount: 4000, schema, profile });
  expect(dv.status, JSON.stringify(dv.body)).toBe(201);
  const run = await newRun(srv, project, { name: `train-${name}` });
  expect((await call(srv, "POST", `/api/v1/runs/${run.id}/inputs`, { datasetVersionId: dv.body.id, role: "train" })).status).toBeLessThan(300);
  await putFile(srv, run.id, "model.bin", `weights-${seed}`);
  const v = await call(srv, "POST", `/api/v1/projects/${project}/models/${name}/versions`, { runId: run.id, artifactPath: "model.bin", labelColumn: "label" });
  expect(v.status, JSON.stringify(v.body)).toBe(201);
  const signature = v.body.signature as ModelSignature;
  return { name, versionId: v.body.id, profile, signature, reference: compileReference({ profile, signature }), datasetVersionId: dv.body.id };
}

/**
 * Stores one hour's predictions as the ingestion does: a window part holding their aggregate
 * against the version's training reference (split in two parts, as two batches would be).
 */
export async function storeHour(srv: TestServer, m: MonitoredModel, hourStart: number, rows: readonly PredictionRow[]): Promise<void> {
  const half = Math.floor(rows.length / 2);
  for (const part of [rows.slice(0, half), rows.slice(half)]) {
    if (part.length === 0) continue;
    await srv.query(`insert into prediction_window_parts (model_version_id, window_start, aggregate) values ($1::uuid, $2::timestamptz, $3::text::jsonb)`, [
      m.versionId,
      new Date(hourStart).toISOString(),
      JSON.stringify(aggregatePredictions(part, m.reference)),
    ]);
  }
}

/** Stores matched labels of predictions of that hour, as the label ingestion appends them. */
export async function storeLabels(srv: TestServer, m: MonitoredModel, hourStart: number, pairs: readonly LabelPair[]): Promise<void> {
  await srv.query(`insert into prediction_window_parts (model_version_id, window_start, aggregate) values ($1::uuid, $2::timestamptz, $3::text::jsonb)`, [
    m.versionId,
    new Date(hourStart).toISOString(),
    JSON.stringify(aggregateLabels(pairs)),
  ]);
}
