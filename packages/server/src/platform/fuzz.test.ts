import http from "node:http";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createApiRouter } from "../app.js";
import { buildOpenApiDocument } from "../docs/openapi-document.js";
import { MAX_DATASET_VERSION_BYTES } from "../datasets/datasets.routes.js";
import { MAX_PREDICTIONS_BODY_BYTES } from "../predictions/predictions.routes.js";
import { testDrivers, type TestServer } from "../testing.js";
import { call, newProject, newRun, uniqueName, useServer } from "../../test/support.js";
import { versionBody } from "../datasets/dataset-fixtures.testutil.js";
import { uuidv7 } from "@cairn/core";
import {
  type JsonSchema,
  type OpenApiDoc,
  RawJson,
  type RawUrl,
  VALID_ORDERS,
  bodyArb,
  boundaryArb,
  cursorArb,
  dateTimeArb,
  filterArb,
  hostileKey,
  hostileString,
  hostileUrlToken,
  hostileValue,
  orderByArb,
  resolve,
  toJsonText,
  urlPart,
  validArb,
} from "../../test/fuzz-arbitraries.js";

/**
 * Property-based fuzzing of every /api/v1 operation, derived from the OpenAPI document the
 * running server serves (generated from the zod schemas): bodies, query strings and path
 * parameters, valid-ish and hostile. Two properties, for every request:
 *   - the server never answers 5xx (nor drops the connection);
 *   - a 4xx leaves every stored table as it was (audit events of denied requests aside).
 * Plus raw malformed bodies: invalid JSON, empty, wrong content type, over the size limits.
 *
 * CAIRN_FUZZ_RUNS (cases per operation, default 80) and CAIRN_FUZZ_SEED make a run longer or
 * reproducible; a failure prints the request, the response and fast-check's seed and path.
 * CAIRN_FUZZ_KEEP_GOING=1 collects every failing request of an operation (up to 12) instead
 * of stopping and shrinking at the first: for triage, when one bug would hide the next.
 */

const RUNS = Number(process.env.CAIRN_FUZZ_RUNS ?? 80);
const KEEP_GOING = process.env.CAIRN_FUZZ_KEEP_GOING === "1";
// CI runs a fixed seed so a red run is reproducible and never depends on the draw; a
// developer run explores new cases each time (or replays one with CAIRN_FUZZ_SEED).
const SEED = process.env.CAIRN_FUZZ_SEED ? Number(process.env.CAIRN_FUZZ_SEED) : process.env.CI ? 20261128 : undefined;
const fcParams = (numRuns: number) => ({ numRuns, ...(SEED !== undefined ? { seed: SEED } : {}) });

type Method = "get" | "post" | "put" | "patch" | "delete";
interface Operation {
  id: string;
  method: Method;
  path: string;
  pathParams: JsonSchema[];
  queryParams: JsonSchema[];
  body: JsonSchema | undefined;
}

function operationsOf(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith("/api/v1/")) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const params = ((op.parameters as JsonSchema[] | undefined) ?? []).map((p) => (p.$ref ? resolve(p, doc) : p));
      out.push({
        id: `${method.toUpperCase()} ${path}`,
        method: method as Method,
        path,
        pathParams: params.filter((p) => p.in === "path"),
        queryParams: params.filter((p) => p.in === "query"),
        body: op.requestBody?.content?.["application/json"]?.schema as JsonSchema | undefined,
      });
    }
  }
  return out;
}

// The test names come from the same route table the server is built from; the live
// document is what the cases are generated from, and the two are checked to agree.
const STATIC_OPERATIONS = operationsOf(buildOpenApiDocument(createApiRouter()) as unknown as OpenApiDoc);

// ---------------------------------------------------------------------------
// HTTP: node:http, so paths go out byte for byte (no `..` normalisation, malformed escapes
// kept) and an early 413 is read rather than reported as a network error.

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer | undefined;
  /** Send the body as chunks without Content-Length. */
  chunked?: boolean;
}
interface Answer {
  status: number;
  text: string;
}

function send(base: string, req: Sent, timeoutMs = 30_000): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolvePromise, reject) => {
    let answered = false;
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined && !req.chunked) headers["content-length"] = Buffer.byteLength(req.body);
    const r = http.request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      // An event stream (alias watch) stays open: its first event is the answer.
      const stream = String(res.headers["content-type"] ?? "").startsWith("text/event-stream");
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        if (stream && Buffer.concat(chunks).includes("\n\n")) {
          resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
          r.destroy();
        }
      });
      res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on("error", (e: NodeJS.ErrnoException) => {
      // The server may answer (413) and close before the body is written: wait for the answer.
      if (!answered && (e.code === "EPIPE" || e.code === "ECONNRESET")) {
        setTimeout(() => (answered ? undefined : reject(new Error(`connection closed without an answer (${e.code})`))), 2000);
        return;
      }
      if (!answered) reject(e);
    });
    if (req.body !== undefined && req.chunked) {
      const b = Buffer.from(req.body);
      for (let i = 0; i < b.length; i += 64 * 1024) r.write(b.subarray(i, i + 64 * 1024));
      r.end();
    } else {
      r.end(req.body);
    }
  });
}

const excerpt = (s: string, n = 1200) => JSON.stringify(s.length > n ? `${s.slice(0, n)}…` : s) + (s.length > n ? ` (${s.length} chars)` : "");

function describeExchange(req: Sent, actor: string, res: Answer | Error): string {
  const body =
    req.body === undefined
      ? "(no body)"
      : `body (${Buffer.byteLength(req.body)} bytes${req.chunked ? ", chunked" : ""}): ${excerpt(Buffer.isBuffer(req.body) ? req.body.toString("latin1") : req.body)}`;
  const answer = res instanceof Error ? `network error: ${res.message}` : `${res.status} ${excerpt(res.text, 600)}`;
  return `${req.method} ${req.path}\n  as: ${actor}\n  content-type: ${req.headers["content-type"] ?? "(none)"}\n  ${body}\n  → ${answer}`;
}

// ---------------------------------------------------------------------------
// Stored-data fingerprint: every table, audit events of denied requests excepted.

async function fingerprintQuery(srv: TestServer): Promise<string> {
  const tables = (
    await srv.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1")
  ).map((r) => r.table_name);
  expect(tables).toEqual(expect.arrayContaining(["projects", "runs", "metric_series", "metric_points", "metric_rollups", "api_keys"]));
  const parts = tables.map((t) => {
    const q = `"${t.replaceAll('"', '""')}"`;
    if (t === "audit_events") {
      // Refused requests are audited (auth.denied); nothing else may be written on a 4xx.
      return `(select count(*)::text || ':' || coalesce(max(seq)::text, '') from audit_events where action <> 'auth.denied' and action not like 'auth.%fail%') as ${q}`;
    }
    if (t === "metric_points") {
      return `(select count(*)::text || ':' || coalesce(sum(series_id)::text, '') || ':' || coalesce(sum(step::numeric)::text, '') || ':' || coalesce(sum(ts::numeric)::text, '') || ':' || coalesce(sum(hashtext(value::text)::numeric)::text, '') from metric_points) as ${q}`;
    }
    // last_used_at moves on every authenticated request, refused or not; the monitor scheduler moves its leases on its own.
    return `(select md5(coalesce(string_agg(x, ',' order by x), '')) from (select (to_jsonb(t) - array['last_used_at', 'last_seen_at', 'last_evaluated_at', 'lease_owner', 'lease_until'])::text as x from ${q} t) s) as ${q}`;
  });
  return `select ${parts.join(", ")}`;
}

/**
 * A refused promotion (409 `gate_failed`) is recorded by design: the evaluation, the signature
 * comparison it stored as a check, and a `gate.refused` event. The alias itself must not move.
 */
const GATE_REFUSAL_RECORDS = ["gate_evaluations", "check_results", "audit_events"];
const isGateRefusal = (res: Answer) => res.status === 409 && res.text.includes('"code":"gate_failed"');

function changedTables(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return Object.keys({ ...before, ...after }).filter((k) => String(before[k]) !== String(after[k]));
}

/** A metric series' columns have one entry per step: cut `values` and `timestamps` to the steps' length, or drop the series' extras. */
function equalColumns(o: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(o.steps) || !Array.isArray(o.values)) return o;
  const n = Math.min(o.steps.length, o.values.length);
  if (n === 0) return o;
  o.steps = o.steps.slice(0, n);
  o.values = o.values.slice(0, n);
  if (Array.isArray(o.timestamps) && o.timestamps.length >= n) o.timestamps = o.timestamps.slice(0, n);
  else delete o.timestamps;
  return o;
}

// ---------------------------------------------------------------------------

interface Fixtures {
  project: string;
  projectId: string;
  otherProject: string;
  otherRunId: string;
  finishedRunId: string;
  spareKeyIds: string[];
  /** A dataset version of the project and one of the other project (ids), and the digest of the first. */
  datasetVersionIds: [string, string];
  datasetDigest: string;
  /** A gate evaluation of model fuzz-set (v1 promoted to production). */
  evaluationId: string;
  /** A stored prediction of fuzz-set v1 (with a label). */
  predictionId: string;
  actors: Record<"admin" | "reader" | "foreign", string>;
  /** Real cursors from every paginated list (runs under several orders), to replay anywhere. */
  cursors: string[];
}

type Actor = keyof Fixtures["actors"];

describe.each(testDrivers)("fuzzing every /api/v1 operation (%s)", (driver) => {
  // No background writers while a 4xx is checked for leaving every table as it was: the crash
  // sweeper (a long fuzz run outlives the heartbeat timeout), the monitor scheduler, prediction upkeep.
  const srv = useServer(driver, { CAIRN_PREDICTION_MAINTENANCE_SECONDS: "0", CAIRN_RUN_HEARTBEAT_TIMEOUT_SECONDS: "86400", CAIRN_SCHEDULER_INTERVAL_SECONDS: "0" });
  let doc: OpenApiDoc;
  let live: Operation[];
  let fx: Fixtures;
  let fingerprintSql: string;
  /** A monitor of fuzz-set and an alert of it: what {monitorId} and {alertId} name. */
  let monitorFx: { monitorId: string; alertId: string };

  const fingerprint = async () => (await srv().query<Record<string, unknown>>(fingerprintSql))[0]!;

  beforeAll(async () => {
    const s = srv();
    const res = await call(s, "GET", "/openapi.json");
    expect(res.status).toBe(200);
    doc = res.body as OpenApiDoc;
    live = operationsOf(doc);
    const project = await newProject(s);
    const otherProject = await newProject(s);
    const projectId = (await call(s, "GET", `/api/v1/projects/${project}`)).body.id as string;
    const otherRunId = (await newRun(s, otherProject, { name: "theirs" })).id as string;
    const finishedRunId = (await newRun(s, project, { name: "done", params: { lr: 0.1 }, tags: { team: "a" } })).id as string;
    expect((await call(s, "PATCH", `/api/v1/runs/${finishedRunId}`, { status: "finished" })).status).toBe(200);
    const key = async (role: string, projects: string[] | "*") => {
      const r = await call(s, "POST", "/api/v1/keys", { name: `fuzz-${role}`, role, projects });
      expect(r.status).toBe(201);
      return r.body as { id: string; secret: string };
    };
    const reader = await key("reader", [project]);
    const foreign = await key("writer", [otherProject]);
    const spareKeyIds = [(await key("reader", [project])).id, (await key("writer", [project])).id, (await key("admin", "*")).id];
    for (const name of ["a", "b"]) {
      const r = await newRun(s, project, { name, params: { lr: name === "a" ? 0.1 : "x", optimizer: "sgd" }, tags: { team: name } });
      await call(s, "POST", `/api/v1/runs/${r.id}/metrics`, { points: [{ key: "loss", value: name === "a" ? 0.5 : "NaN", step: 0 }] });
    }
    const datasetVersion = (await call(s, "POST", `/api/v1/projects/${project}/datasets/fuzz-set/versions`, versionBody("fuzz"))).body;
    const theirDatasetVersion = (await call(s, "POST", `/api/v1/projects/${otherProject}/datasets/fuzz-set/versions`, versionBody("theirs"))).body;
    // Model fuzz-set v1 holding fuzz.txt: what {name}, {version} and {path} name on the model routes.
    expect((await call(s, "PUT", `/api/v1/runs/${finishedRunId}/artifacts/fuzz.txt`, "fuzz", { "content-type": "text/plain" })).status).toBe(201);
    const registered = await call(s, "POST", `/api/v1/projects/${project}/models/fuzz-set/versions`, { runId: finishedRunId, artifactPath: "fuzz.txt", datasets: [{ datasetVersionId: datasetVersion.id, role: "train" }] });
    expect(registered.status).toBe(201);
    // fuzz-set v1 holds production: what {alias} names; its evaluation is what {evaluationId} names.
    const promoted = await call(s, "PUT", `/api/v1/projects/${project}/models/fuzz-set/aliases/production`, { version: 1 });
    expect(promoted.status).toBe(200);
    const predictionId = uuidv7();
    expect((await call(s, "POST", `/api/v1/projects/${project}/predictions`, { predictions: [{ id: predictionId, model: "fuzz-set", version: 1, features: { age: 30, city: "Oslo" }, output: 1 }] })).status).toBe(200);
    expect((await call(s, "POST", `/api/v1/projects/${project}/labels`, { labels: [{ predictionId, label: 1 }] })).status).toBe(200);
    const cursors: string[] = [];
    const lists = [
      ...["", "metrics.loss desc", "name asc", "params.lr asc", "tags.team desc", "created asc", "ended desc"].map((o) => `/api/v1/projects/${project}/runs?limit=1&orderBy=${encodeURIComponent(o)}`),
      "/api/v1/projects?limit=1",
      "/api/v1/keys?limit=1",
      "/api/v1/audit?limit=1",
    ];
    for (const url of lists) {
      const page = await call(s, "GET", url);
      if (typeof page.body?.nextCursor === "string") cursors.push(page.body.nextCursor);
    }
    expect(cursors.length).toBeGreaterThan(5);
    fx = { project, projectId, otherProject, otherRunId, finishedRunId, spareKeyIds, cursors, datasetVersionIds: [datasetVersion.id, theirDatasetVersion.id], datasetDigest: datasetVersion.digest, evaluationId: promoted.body.evaluation.id as string, predictionId, actors: { admin: s.apiKey, reader: reader.secret, foreign: foreign.secret } };
    await freshMonitor();
    fingerprintSql = await fingerprintQuery(s);
  });

  /** A fresh monitor and alert (as the scheduler stores one) for each operation on them: deleting a monitor takes its alerts along. */
  async function freshMonitor(): Promise<void> {
    const monitor = await call(srv(), "POST", `/api/v1/projects/${fx.project}/monitors`, { name: "fuzz", model: "fuzz-set", rule: { type: "drift", max: 0.2 }, webhooks: [{ url: "https://hooks.example.com/x", secret: "fuzz-secret-0123456789" }] });
    expect(monitor.status).toBe(201);
    monitorFx = { monitorId: monitor.body.id as string, alertId: uuidv7() };
    await srv().query("insert into alerts (id, project_id, monitor_id, figures, message, window_start, window_end) values ($1, $2, $3, '{}', 'fuzz', now(), now())", [monitorFx.alertId, fx.projectId, monitorFx.monitorId]);
  }

  /** A fresh run with metrics for each operation, so earlier operations (finishing it, say) don't starve later ones. */
  async function freshRun(): Promise<string> {
    const run = await newRun(srv(), fx.project, { name: uniqueName("fuzz"), params: { lr: 0.01, optimizer: "adam" }, tags: { team: "fraud" } });
    const points = Array.from({ length: 20 }, (_, step) => ({ key: step % 2 ? "loss" : "acc", value: step / 7, step }));
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points })).status).toBe(200);
    expect((await call(srv(), "PUT", `/api/v1/runs/${run.id}/artifacts/fuzz.txt`, "fuzz")).status).toBe(201);
    return run.id as string;
  }

  const actorArb = fc.constantFrom<Actor>("admin", "admin", "admin", "admin", "admin", "admin", "admin", "admin", "reader", "foreign");

  function pathParamArb(p: JsonSchema, runId: string): fc.Arbitrary<string | RawUrl> {
    // Real objects mostly; near-misses (other case, braces, another project's) sometimes.
    const pick = (good: string[], near: string[]) => fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 4 }, { arbitrary: fc.constantFrom(...near), weight: 1 });
    const byName: Record<string, fc.Arbitrary<string>> = {
      project: pick([fx.project, fx.projectId], [fx.otherProject, fx.project.toUpperCase(), `${fx.project} `, fx.projectId.toUpperCase()]),
      runId: pick([runId, runId, fx.finishedRunId], [fx.otherRunId, runId.toUpperCase(), `{${runId}}`, runId.replaceAll("-", ""), ` ${runId}`]),
      key: pick(["loss", "acc"], ["missing", "a/b", "a b", "LOSS", "loss "]),
      // Key ids for /keys/{id}, dataset version ids for /dataset-versions/{id}: each a near miss for the other.
      id: fc.constantFrom(...fx.spareKeyIds, fx.datasetVersionIds[0], fx.datasetVersionIds[0], fx.datasetVersionIds[1], fx.predictionId, fx.predictionId),
      alias: pick(["production"], ["staging", "Production", "1", "production "]),
      monitorId: pick([monitorFx.monitorId], [monitorFx.monitorId.toUpperCase(), monitorFx.alertId, `${monitorFx.monitorId}x`]),
      alertId: pick([monitorFx.alertId], [monitorFx.alertId.toUpperCase(), monitorFx.monitorId, `${monitorFx.alertId}x`]),
      evaluationId: pick([fx.evaluationId], [fx.evaluationId.toUpperCase(), fx.spareKeyIds[0]!, `${fx.evaluationId}x`]),
      name: pick(["fuzz-set"], ["missing", "FUZZ-SET", "fuzz-set/x", "-x"]),
      version: pick(["1", "latest", fx.datasetDigest], ["2", "0", "01", "sha256:00", "LATEST"]),
      path: pick(["fuzz.txt"], ["missing.txt", "FUZZ.TXT", "fuzz.txt/x", "../fuzz.txt", "%2e%2e/fuzz.txt"]),
    };
    const fixture = byName[p.name as string] ?? validArb(p.schema, { doc }).map((v) => String(v));
    return fc.oneof(
      { arbitrary: fixture, weight: 10 },
      { arbitrary: validArb(p.schema, { doc }).map((v) => String(v)), weight: 1 },
      { arbitrary: hostileString, weight: 1 },
      { arbitrary: hostileUrlToken, weight: 1 },
      { arbitrary: fc.uuid(), weight: 1 },
    );
  }

  const asQueryText = (v: unknown): string =>
    v === null ? "" : typeof v === "string" ? v : v instanceof RawJson ? v.text : typeof v === "object" ? toJsonText(v) : String(v);

  function queryValueArb(p: JsonSchema): fc.Arbitrary<string | RawUrl> {
    // A query string cannot say null: a nullable parameter is simply left out.
    const declared = (p.schema ?? {}) as JsonSchema;
    const schema = Array.isArray(declared.type) ? { ...declared, type: declared.type.filter((t: string) => t !== "null") } : declared;
    const special: Record<string, fc.Arbitrary<string>> = {
      cursor: fc.oneof(fc.constantFrom(...fx.cursors), cursorArb),
      filter: filterArb,
      orderBy: orderByArb,
      project: fc.oneof(fc.constantFrom(fx.project, fx.projectId, fx.otherProject), hostileString),
      actor: fc.oneof(fc.constantFrom(...fx.spareKeyIds), fc.uuid(), hostileString),
    };
    const isDate = /RFC 3339|date-time/i.test(`${p.description ?? ""} ${schema?.description ?? ""} ${schema?.format ?? ""}`);
    const own = special[p.name as string] ?? (isDate ? dateTimeArb : undefined);
    const generic = fc.oneof(
      { arbitrary: validArb(schema, { doc }).map(asQueryText), weight: 4 },
      { arbitrary: boundaryArb(schema, { doc }).map(asQueryText), weight: 1 },
    );
    return fc.oneof(
      { arbitrary: own ?? generic, weight: 10 },
      ...(own ? [{ arbitrary: generic, weight: 1 }] : []),
      { arbitrary: hostileString, weight: 1 },
      { arbitrary: hostileUrlToken, weight: 1 },
    );
  }

  function queryArb(op: Operation): fc.Arbitrary<Array<[string | RawUrl, string | RawUrl]>> {
    const known = op.queryParams.map((p) => fc.option(queryValueArb(p).map((v) => [p.name as string, v] as [string | RawUrl, string | RawUrl]), { nil: undefined, freq: 2 }));
    const names = op.queryParams.map((p) => p.name as string);
    const extra = fc.array(
      fc.tuple(fc.oneof(hostileKey, ...(names.length ? [fc.constantFrom(...names)] : []), hostileUrlToken), fc.oneof(hostileString, hostileUrlToken)),
      { maxLength: 2 },
    );
    return fc
      .tuple(fc.tuple(...known), fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: extra, weight: 1 }))
      .map(([k, e]) => [...k.filter((x): x is [string | RawUrl, string | RawUrl] => x !== undefined), ...e]);
  }

  function bodyFor(op: Operation, runId: string): fc.Arbitrary<unknown> {
    if (op.body) {
      // Real fixtures for the fields that name stored objects, so valid requests get past the lookups.
      const hints: Record<string, fc.Arbitrary<unknown>> = {
        parentId: fc.constantFrom(runId, runId, fx.finishedRunId, fx.otherRunId, "00000000-0000-0000-0000-000000000000"),
        datasetVersionId: fc.constantFrom(fx.datasetVersionIds[0], fx.datasetVersionIds[0], fx.datasetVersionIds[1], "00000000-0000-0000-0000-000000000000"),
        runId: fc.constantFrom(runId, runId, fx.finishedRunId, fx.otherRunId),
        artifactPath: fc.constantFrom("fuzz.txt", "fuzz.txt", "missing.txt", "fuzz.txt/x"),
        id: fc.oneof(fc.uuid({ version: 7 }), fc.uuid({ version: 7 }), fc.constantFrom(runId, fx.otherRunId)),
        projects: fc.constantFrom<unknown>("*", [fx.project], [fx.project, fx.otherProject], ["no-such-project"], [fx.projectId]),
        // Promotions and dry runs of the model's real versions (and a number past int4).
        ...(op.path.includes("/aliases/{alias}") ? { version: fc.constantFrom(1, 1, 2, 2_147_483_648) } : {}),
        // Predictions and labels of the real model, with ids of now (older ones are past retention) or the stored one.
        ...(/\/(predictions|labels)$/.test(op.path)
          ? { id: fc.oneof(fc.nat().map(() => uuidv7()), fc.constant(fx.predictionId)), predictionId: fc.oneof(fc.nat().map(() => uuidv7()), fc.constant(fx.predictionId)), model: fc.constantFrom("fuzz-set", "fuzz-set", "missing"), version: fc.constantFrom(1, 1, 2, 2_147_483_648) }
          : {}),
        // An existing project's name: the 409 must leave everything as it was.
        // Monitors of the fixture model mostly, so creates get past the model lookup.
        ...(/\/monitors(\/\{monitorId\})?$/.test(op.path)
          ? { model: fc.constantFrom("fuzz-set", "fuzz-set", "missing"), alias: fc.constantFrom("production", "staging"), cooldown: fc.constantFrom("1h", "5m"), webhooks: fc.constantFrom([], [{ url: "https://hooks.example.com/x" }]) }
          : {}),
        ...(op.path === "/api/v1/projects" ? { name: fc.constantFrom(fx.project, fx.otherProject, fx.project.toUpperCase()) } : {}),
        key: op.path.endsWith("/session")
          ? fc.constantFrom(fx.actors.admin, fx.actors.reader, fx.actors.foreign, "cairn_not-a-key", `${fx.actors.reader}x`)
          : fc.constantFrom("loss", "acc", "new.metric/a:b c"),
      };
      // A version body is valid only when schema, profile and row count agree, which random
      // generation almost never hits: mix in real profiles so creates get through now and then.
      // Likewise a registration must name a run's real file, and a check result's many optional fields rarely all come out valid.
      const registration = fc.record({ runId: fc.constantFrom(runId, fx.finishedRunId), artifactPath: fc.constant("fuzz.txt"), framework: fc.constantFrom("onnx", "tfjs") });
      const checkResult = fc.record({ kind: fc.constantFrom("performance", "bias", "drift"), status: fc.constantFrom("passed", "failed"), figures: fc.dictionary(fc.constantFrom("accuracy", "auc"), fc.double({ noNaN: true, noDefaultInfinity: true })) });
      // Predictions of the real model with scalar features, so some batches are stored.
      const scalar = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null));
      const predictionBatch = fc.record({
        predictions: fc.array(fc.record({ id: fc.nat().map(() => uuidv7()), model: fc.constant("fuzz-set"), version: fc.constant(1), features: fc.dictionary(fc.constantFrom("age", "city", "x"), scalar), output: scalar }), { minLength: 1, maxLength: 5 }),
      });
      // A page of charts: the fresh run's real keys (and now and then another project's run).
      const histories = fc.record(
        {
          series: fc.array(fc.record({ runId: fc.constantFrom(runId, runId, runId, fx.otherRunId), key: fc.constantFrom("loss", "acc") }), { minLength: 1, maxLength: 4 }),
          maxPoints: fc.integer({ min: 2, max: 5_000 }),
        },
        { requiredKeys: ["series"] },
      );
      const consistent =
        op.method === "post" && op.path === "/api/v1/metrics/histories"
          ? [{ arbitrary: histories, weight: 6 }]
          : op.method === "post" && op.path.endsWith("/datasets/{name}/versions")
          ? [{ arbitrary: fc.tuple(fc.nat(), fc.integer({ min: 1, max: 5 })).map(([n, rows]) => versionBody(`fuzz-${n}`, rows)), weight: 3 }]
          : op.method === "post" && op.path.endsWith("/models/{name}/versions")
            ? [{ arbitrary: registration, weight: 3 }]
            : op.method === "post" && op.path.endsWith("/versions/{version}/checks")
              ? [{ arbitrary: checkResult, weight: 3 }]
              : op.method === "post" && op.path.endsWith("/predictions")
                ? [{ arbitrary: predictionBatch, weight: 3 }]
                : [];
      return fc.oneof(
        { arbitrary: bodyArb(op.body, { doc, hints, fixObject: equalColumns }), weight: 12 },
        { arbitrary: fc.constant(undefined), weight: 1 },
        ...consistent,
      );
    }
    if (op.method === "get") return fc.constant(undefined);
    return fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.constant({}), weight: 1 }, { arbitrary: hostileValue, weight: 1 });
  }

  /** Sends one request and checks both properties; throws a reproduction on failure. */
  async function exchange(req: Sent, actor: Actor): Promise<Answer> {
    const before = await fingerprint();
    let res: Answer;
    try {
      res = await send(srv().url, { ...req, headers: { authorization: `Bearer ${fx.actors[actor]}`, ...req.headers } });
    } catch (e) {
      throw new Error(`no answer:\n${describeExchange(req, actor, e as Error)}`);
    }
    if (res.status >= 500 || res.status < 100) throw new Error(`server error:\n${describeExchange(req, actor, res)}`);
    if (res.status >= 400) {
      const after = await fingerprint();
      const changed = changedTables(before, after).filter((t) => !(isGateRefusal(res) && GATE_REFUSAL_RECORDS.includes(t)));
      if (changed.length > 0) throw new Error(`stored data changed on a ${res.status} (${changed.join(", ")}):\n${describeExchange(req, actor, res)}`);
    }
    return res;
  }

  it("the served OpenAPI document lists exactly the operations fuzzed here", () => {
    expect(live.length).toBeGreaterThan(10);
    expect(live.map((o) => o.id).sort()).toEqual(STATIC_OPERATIONS.map((o) => o.id).sort());
    // Every declared JSON body resolves to a schema with a type or alternatives.
    for (const op of live.filter((o) => o.body)) {
      const s = resolve(op.body, doc);
      expect(s.type ?? s.anyOf ?? s.oneOf, op.id).toBeDefined();
    }
  });

  it.each(STATIC_OPERATIONS.map((o) => [o.id, o] as const))("%s: no 5xx, and no stored change on a 4xx", async (id) => {
    const op = live.find((o) => o.id === id);
    expect(op, `${id} is not in the served OpenAPI document`).toBeDefined();
    if (!op) return;
    // Deleting or restoring a project would take the shared fixtures with it: those operations
    // act on projects of their own (restored afterwards). A restore needs something deleted first.
    const saved = { ...fx };
    if (/^\/api\/v1\/projects\/\{project\}(\/restore)?$/.test(op.path) && op.method !== "get") {
      fx.project = await newProject(srv());
      fx.projectId = (await call(srv(), "GET", `/api/v1/projects/${fx.project}`)).body.id as string;
      fx.otherProject = await newProject(srv());
    }
    const runId = await freshRun();
    if (op.path.includes("{monitorId}") || op.path.includes("{alertId}")) await freshMonitor();
    if (op.id === "POST /api/v1/projects/{project}/restore") expect((await call(srv(), "DELETE", `/api/v1/projects/${fx.project}`)).status).toBe(200);
    if (op.id === "POST /api/v1/runs/{runId}/restore") expect((await call(srv(), "DELETE", `/api/v1/runs/${runId}`)).status).toBe(200);
    if (op.path.includes("/aliases/{alias}") && op.method !== "get") {
      // Earlier operations may have archived v1 or stored a strict production policy: give the gate something it can pass.
      expect((await call(srv(), "PATCH", `/api/v1/projects/${fx.project}/models/fuzz-set/versions/1`, { archived: false })).status).toBe(200);
      expect((await call(srv(), "PUT", `/api/v1/projects/${fx.project}/models/fuzz-set/policy`, { alias: "production", rules: [] })).status).toBeLessThan(300);
    }
    try {
      const statuses = new Map<number, number>();
      const caseArb = fc.record({
        actor: actorArb,
        path: fc.tuple(...op.pathParams.map((p) => pathParamArb(p, runId))),
        query: queryArb(op),
        body: bodyFor(op, runId),
      });
      const rich = op.body !== undefined || op.queryParams.length > 0;
      const found: string[] = [];
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const values = new Map(op.pathParams.map((p, i) => [p.name as string, c.path[i] ?? ""]));
          const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => urlPart(values.get(name) ?? ""));
          const qs = c.query.map(([k, v]) => `${urlPart(k)}=${urlPart(v)}`).join("&");
          const body = c.body === undefined ? undefined : toJsonText(c.body);
          const req: Sent = {
            method: op.method.toUpperCase(),
            path: qs ? `${path}?${qs}` : path,
            headers: body === undefined ? {} : { "content-type": "application/json" },
            body,
          };
          try {
            const res = await exchange(req, c.actor);
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (process.env.CAIRN_FUZZ_VERBOSE === "2") console.log(`${res.status} ${req.method} ${req.path.slice(0, 200)} ${res.text.slice(0, 300)}`);
          } catch (e) {
            if (!KEEP_GOING) throw e;
            if (found.length < 12) found.push((e as Error).message);
          }
        }),
        fcParams(rich ? RUNS : Math.ceil(RUNS / 3)),
      );
      if (found.length > 0) throw new Error(`${found.length} failing request(s):\n\n${found.join("\n\n")}`);
      if (process.env.CAIRN_FUZZ_VERBOSE) console.log(driver, id, JSON.stringify(Object.fromEntries([...statuses].sort())));
      // Not a property, a sanity check: the generator reaches past validation now and then.
      const ok = [...statuses].filter(([s]) => s < 300).reduce((n, [, k]) => n + k, 0);
      if (RUNS >= 30) expect(ok, `${id}: no 2xx among ${JSON.stringify(Object.fromEntries(statuses))}`).toBeGreaterThan(0);
    } finally {
      Object.assign(fx, saved);
    }
  }, 120_000);

  it("replays every issued cursor, and forged ones, on every paginated list under every order", async () => {
    const forge = (v: unknown) => Buffer.from(toJsonText(v), "utf8").toString("base64url");
    const forged = [
      forge({ id: "-".repeat(36), v: null }), forge({ id: "0".repeat(36), v: "x" }), forge({ id: "f".repeat(36), v: "1e400" }),
      forge({ name: "a\u0000b" }), forge({ name: "\ud800" }), forge({ id: "x" }), forge({ id: "a\u0000b" }), forge({ seq: new RawJson("1e400") }),
      forge({ seq: 2 ** 53 - 1 }), forge({ seq: -(2 ** 53) + 1 }), forge([]), forge(null), forge("x"), "%", "e30",
    ];
    const paginated = live.filter((o) => o.method === "get" && o.queryParams.some((p) => p.name === "cursor"));
    expect(paginated.length).toBeGreaterThan(2);
    const failures: string[] = [];
    for (const op of paginated) {
      const path = op.path.replace("{project}", fx.project);
      const orders = op.queryParams.some((p) => p.name === "orderBy") ? ["", ...VALID_ORDERS] : [""];
      for (const cursor of [...fx.cursors, ...forged]) {
        for (const order of orders) {
          const qs = `cursor=${encodeURIComponent(cursor)}${order ? `&orderBy=${encodeURIComponent(order)}` : ""}`;
          await exchange({ method: "GET", path: `${path}?${qs}`, headers: {} }, "admin").catch((e: Error) => failures.push(`cursor ${JSON.stringify(Buffer.from(cursor, "base64url").toString("utf8"))}: ${e.message}`));
        }
      }
    }
    expect(failures, `${failures.length} failing request(s):\n\n${failures.slice(0, 12).join("\n\n")}`).toEqual([]);
  }, 120_000);

  it("malformed raw bodies: invalid JSON, empty, wrong content type, over the size limits", async () => {
    const runId = await freshRun();
    const fill = (op: Operation) =>
      op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent({ project: fx.project, runId, key: "loss", id: fx.spareKeyIds[0]! }[name] ?? "x"));
    const writes = live.filter((o) => o.method !== "get");
    const isMetrics = (op: Operation) => /\/runs\/\{runId\}\/metrics$/.test(op.path) && op.method === "post";
    const invalidJson = ["{", '{"name":', "nul", "'{}'", '{"a":1,}', "[1,]", '{"a":01}', "NaN", "\u0000", '{"a":"\u0000', "{}}", "}{", '{"a" 1}', "[".repeat(5000), "\ud800"];
    const failures: string[] = [];
    const wrongTypes = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "text/json", "application/jsonx", "json", ""];

    for (const op of writes) {
      const path = fill(op);
      const takesJson = op.body !== undefined;
      // Every case runs; the failures are listed together at the end.
      const bodyCase = async (body: string | Buffer | undefined, headers: Record<string, string>, expected?: number[], chunked = false) => {
        const req: Sent = { method: op.method.toUpperCase(), path, headers, body, chunked };
        try {
          const res = await exchange(req, "admin");
          if (expected && !expected.includes(res.status)) failures.push(`expected ${expected.join(" or ")}:\n${describeExchange(req, "admin", res)}`);
        } catch (e) {
          failures.push((e as Error).message);
        }
      };
      for (const text of invalidJson) await bodyCase(text, { "content-type": "application/json" }, takesJson ? [400] : undefined);
      await bodyCase(Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]), { "content-type": "application/json" }); // {"n":"<invalid UTF-8>"}
      // Byte-order marks are dropped by the body decoder (undici drops more than one): accepted or refused, both fine.
      await bodyCase("\ufeff{}", { "content-type": "application/json" });
      await bodyCase("\ufeff\ufeff{}", { "content-type": "application/json" });
      await bodyCase("", { "content-type": "application/json" }, takesJson ? [400] : undefined);
      await bodyCase(undefined, { "content-type": "application/json" }, takesJson ? [400] : undefined);
      // Artifact content is raw bytes of any media type, capped by CAIRN_MAX_ARTIFACT_BYTES: no 415, no JSON limit.
      const rawBytes = /\/artifacts\/\{path\}$/.test(op.path);
      if (op.method !== "delete" && !rawBytes) {
        for (const type of wrongTypes) await bodyCase('{"name":"x"}', type ? { "content-type": type } : {}, [415]);
      }
      await bodyCase('{"name":"x"}', { "content-type": "application/json; charset=utf-16" });
      await bodyCase(Buffer.from('{"name":"x"}', "utf16le"), { "content-type": "application/json" }, takesJson ? [400] : undefined);
      // Over the limit: answered 413 from Content-Length alone, and when streamed without one.
      // Metric batches and dataset versions (wide profiles) have limits of their own.
      const limit = isMetrics(op)
        ? 4 * 1024 * 1024
        : /\/datasets\/\{name\}\/versions$/.test(op.path) && op.method === "post"
          ? MAX_DATASET_VERSION_BYTES
          : /\/projects\/\{project\}\/(predictions|labels)$/.test(op.path) && op.method === "post"
            ? MAX_PREDICTIONS_BODY_BYTES
            : 1024 * 1024;
      const huge = `{"name":"big","description":"${"x".repeat(limit + 1024)}"}`;
      if (op.method !== "delete" && !rawBytes) {
        await bodyCase(huge, { "content-type": "application/json" }, [413]);
        await bodyCase(huge, { "content-type": "application/json" }, [413], true);
      }
    }

    // GET with a body: ignored or refused, never a failure.
    for (const op of live.filter((o) => o.method === "get")) {
      await exchange({ method: "GET", path: fill(op), headers: { "content-type": "application/json" }, body: "{not json" }, "admin").catch((e: Error) => failures.push(e.message));
    }
    expect(failures, failures.join("\n\n")).toEqual([]);

    // Random bytes and random text as JSON bodies.
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...writes),
        fc.oneof(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.string({ unit: "binary", maxLength: 300 }), fc.json({ maxDepth: 6 })),
        async (op, body) => {
          await exchange({ method: op.method.toUpperCase(), path: fill(op), headers: { "content-type": "application/json" }, body }, "admin");
        },
      ),
      fcParams(Math.max(20, RUNS * 2)),
    );
  }, 240_000);
});
