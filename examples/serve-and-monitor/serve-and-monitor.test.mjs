import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { AlertPayload, MonitoringReport } from "@cairn/core";
import { Cairn } from "@cairn/sdk";
import { startTestServer, testDrivers } from "@cairn/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./run.mjs";
import { startReceiver } from "./receiver.mjs";
import { requestProblem, startService } from "./service.mjs";
import { WATCHED_FEATURE } from "./setup.mjs";
import { accuracyOf } from "./traffic.mjs";

const here = path.dirname(new URL(import.meta.url).pathname);
const MODEL = "penguin-sex";
const SHIFTED_FEATURES = ["Beak Length (mm)", "Body Mass (g)"];

// The server ticks its monitor scheduler every second, may call the receiver on loopback, and
// retries a failed webhook after a second: the story takes seconds instead of minutes.
const SERVER_ENV = { CAIRN_SCHEDULER_INTERVAL_SECONDS: "1", CAIRN_WEBHOOK_ALLOWLIST: "127.0.0.1", CAIRN_WEBHOOK_RETRY_BASE_SECONDS: "1" };

describe("receiver", () => {
  it("accepts only bodies signed with the shared secret", async () => {
    const secret = "a-webhook-secret-of-some-length";
    const r = await startReceiver({ secret });
    try {
      const body = JSON.stringify({ type: "alert", project: "p", alert: { message: "m" } });
      const post = (headers) => fetch(r.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body }).then((res) => res.status);
      const sign = (key, text) => `sha256=${createHmac("sha256", key).update(text).digest("hex")}`;
      expect(await post({})).toBe(401);
      expect(await post({ "x-cairn-signature": sign("another-secret-entirely", body) })).toBe(401);
      expect(await post({ "x-cairn-signature": sign(secret, `${body} `) })).toBe(401);
      expect(r.payloads).toHaveLength(0);
      expect(await post({ "x-cairn-signature": sign(secret, body) })).toBe(204);
      expect(r.payloads.map((p) => p.payload)).toEqual([JSON.parse(body)]);
      expect(r.rejected).toBe(3);
    } finally {
      await r.close();
    }
  });
});

describe("service request checks", () => {
  it("serves flat feature objects with an optional replay time, and nothing else", () => {
    expect(requestProblem({ features: { a: 1, b: "x", c: null, d: true } })).toBeUndefined();
    expect(requestProblem({ features: { a: 1 }, timestamp: 1_700_000_000_000 })).toBeUndefined();
    expect(requestProblem([])).toMatch(/JSON object/);
    expect(requestProblem({ features: [1, 2] })).toMatch(/flat JSON object/);
    expect(requestProblem({ features: { a: { b: 1 } } })).toMatch(/features\.a/);
    expect(requestProblem({ features: { a: Number.NaN } })).toMatch(/features\.a/);
    expect(requestProblem({ features: {}, timestamp: "yesterday" })).toMatch(/timestamp/);
  });
});

describe.each(testDrivers)("examples/serve-and-monitor (%s)", (driver) => {
  let srv;
  let tmp;
  let result;
  let client;
  const lines = [];
  beforeAll(async () => {
    srv = await startTestServer({ driver, env: SERVER_ENV });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-serve-and-monitor-"));
    Object.assign(process.env, { CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey, CAIRN_CACHE_DIR: path.join(tmp, "cache"), CAIRN_SPOOL_DIR: path.join(tmp, "spool") });
    result = await main(["--project", "serve-monitor-test", "--wait", "30"], { log: (l) => lines.push(l) });
    client = new Cairn({ url: srv.url, apiKey: srv.apiKey, project: "serve-monitor-test" });
    // Up to 20 s more when the traffic would have been replayed just before the hour turns.
  }, 80_000);
  afterAll(async () => {
    for (const k of ["CAIRN_URL", "CAIRN_API_KEY", "CAIRN_CACHE_DIR", "CAIRN_SPOOL_DIR"]) delete process.env[k];
    await srv?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const iso = (ms) => new Date(ms).toISOString();
  const windowAt = (report, ms) => report.windows.find((w) => w.start === iso(ms));

  it("stores every prediction once, under the version that answered it, with every label joined", async () => {
    const { traffic, live } = result;
    expect(traffic.normal).toHaveLength(86);
    expect(traffic.shifted).toHaveLength(86);
    expect(new Set([...traffic.normal, ...traffic.shifted].map((a) => a.version))).toEqual(new Set([1]));
    expect(live.map((a) => a.version)).toEqual([2, 2, 2, 2, 2]);
    const stored = await srv.query(
      `select v.version::int as version, count(*)::int as n, count(distinct p.id)::int as ids,
              count(*) filter (where p.ts < $1::timestamptz)::int as replayed
       from predictions p join model_versions v on v.id = p.model_version_id group by v.version order by v.version`,
      [iso(traffic.hours.current)],
    );
    expect(stored).toEqual([
      { version: 1, n: 172, ids: 172, replayed: 172 },
      { version: 2, n: 5, ids: 5, replayed: 0 },
    ]);
    const ids = [...traffic.normal, ...traffic.shifted].map((a) => a.id);
    const [labels] = await srv.query(`select count(*)::int as n from prediction_labels where matched and prediction_id = any($1::uuid[])`, [ids]);
    expect(labels.n).toBe(172);
    expect(traffic.labels).toEqual({ accepted: 172, pending: 0 });
  });

  it("reports the shifted hour drifting on the two shifted features only, and its accuracy dropping once labels arrive", () => {
    const report = MonitoringReport.parse(result.report);
    expect(report.reference?.name).toBe("penguins-sex-train");
    const { hours, normal, shifted } = result.traffic;
    const before = windowAt(report, hours.normal);
    const after = windowAt(report, hours.shifted);
    for (const w of [before, after]) {
      expect(w.count).toBe(86);
      expect(w.labels).toEqual({ count: 86, coverage: 1 });
      expect(w.drift.features.map((f) => f.feature).sort()).toEqual(["Beak Depth (mm)", "Beak Length (mm)", "Body Mass (g)", "Flipper Length (mm)", "Island", "Species"]);
    }
    expect(before.drift.features.filter((f) => f.drifted)).toEqual([]);
    expect(after.drift.features.filter((f) => f.drifted).map((f) => f.feature).sort()).toEqual(SHIFTED_FEATURES);
    expect(after.drift.driftedShare).toBeCloseTo(2 / 6, 12);

    // The server's accuracy is the share the traffic script saw answered right.
    expect(before.performance.accuracy).toBeCloseTo(accuracyOf(normal), 12);
    expect(after.performance.accuracy).toBeCloseTo(accuracyOf(shifted), 12);
    expect(before.performance.accuracy).toBeGreaterThan(0.9);
    expect(after.performance.accuracy).toBeLessThan(0.8);
  });

  it("measures the same drift with Jensen–Shannon: the shifted features move, the others stay where chance put them", () => {
    const report = MonitoringReport.parse(result.jensenShannon);
    const { hours } = result.traffic;
    const stat = (ms, feature) => windowAt(report, ms).drift.features.find((f) => f.feature === feature).statistic;
    for (const f of ["Beak Depth (mm)", "Flipper Length (mm)", "Species", "Island"]) expect(stat(hours.shifted, f)).toBeCloseTo(stat(hours.normal, f), 12);
    for (const f of SHIFTED_FEATURES) expect(stat(hours.shifted, f)).toBeGreaterThan(stat(hours.normal, f) + 0.1);
    // The monitor's bound separates the two hours of the watched feature.
    expect(stat(hours.normal, WATCHED_FEATURE)).toBeLessThan(0.25);
    expect(stat(hours.shifted, WATCHED_FEATURE)).toBeGreaterThan(0.25);
  });

  it("fires each monitor once, on the shifted hour of the version that served it", async () => {
    const { alerts } = await client.alerts.list({ model: MODEL });
    expect(alerts).toHaveLength(2);
    const byRule = Object.fromEntries(alerts.map((a) => [a.figures.rule.type, a]));
    for (const a of alerts) {
      expect(a).toMatchObject({ version: 1, status: "open", windowStart: iso(result.traffic.hours.shifted), windowEnd: iso(result.traffic.hours.current) });
    }
    expect(byRule.drift.figures.rule.feature).toBe(WATCHED_FEATURE);
    expect(byRule.drift.figures.observed).toBeGreaterThan(0.25);
    expect(byRule.performance.figures.observed).toBeCloseTo(accuracyOf(result.traffic.shifted), 12);
    expect(byRule.performance.figures.sampleSize).toBe(86);
  });

  it("delivers a signed retrain payload naming the production version, its training run and dataset digests", async () => {
    const { production, payloads, receiver } = result;
    expect(receiver.rejected).toBe(0);
    for (const kind of ["drift", "accuracy"]) {
      const p = AlertPayload.parse(payloads[kind]);
      expect(p.type).toBe("retrain");
      expect(p.project).toBe("serve-monitor-test");
      expect(p.retrain).toMatchObject({
        model: MODEL,
        alias: "production",
        version: production.version,
        trainingRunId: production.runId,
        rerunCommand: `cairn rerun ${production.runId}`,
        referenceDigest: production.datasets.train.digest,
        window: { start: iso(result.traffic.hours.shifted), end: iso(result.traffic.hours.current) },
      });
      expect(p.retrain.datasets).toEqual([
        { role: "test", name: "penguins-sex-test", version: production.datasets.test.version, digest: production.datasets.test.digest },
        { role: "train", name: "penguins-sex-train", version: production.datasets.train.version, digest: production.datasets.train.digest },
      ]);
    }
    // Every request the receiver kept was signed; the server logged each delivery once, delivered at the first attempt.
    expect(receiver.received.every((r) => /^sha256=[0-9a-f]{64}$/.test(r.signature))).toBe(true);
    for (const m of result.production.monitors) {
      const { deliveries } = await client.monitors.deliveries(m.id);
      expect(deliveries.map((d) => [d.status, d.attempts, d.lastStatusCode])).toEqual([["delivered", 1, 204]]);
    }
  });

  it("hot-swaps to the retrained version when production moves, without a restart", async () => {
    expect(result.swaps.map((s) => [s.from, s.to])).toEqual([[1, 2]]);
    expect(result.served).toMatchObject({ model: MODEL, version: 2 });
    const alias = await client.models.alias(MODEL, "production");
    expect(alias.history.map((m) => [m.fromVersion, m.toVersion])).toEqual([
      [1, 2],
      [null, 1],
    ]);
    // The retrained version learnt from the labelled production traffic: its training data is a new version.
    expect(result.retrained.datasets.train.version).toBe(2);
    expect(result.retrained.datasets.train.digest).not.toBe(result.production.datasets.train.digest);
  });

  it("answers 400 (413 when too large) for a body it cannot serve, and the production version for a good one", async () => {
    const svc = await startService({ client, model: MODEL, log: () => {} });
    try {
      const post = (body) => fetch(`${svc.url}/predict`, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect((await post("{not json")).status).toBe(400);
      expect((await post(JSON.stringify({ features: { note: "x".repeat(70_000) } }))).status).toBe(413);
      const nested = await post(JSON.stringify({ features: { Species: { name: "Adelie" } } }));
      expect(nested.status).toBe(400);
      expect((await nested.json()).error).toContain("features.Species");
      const ok = await post(JSON.stringify({ features: { Species: "Gentoo", Island: "Biscoe", "Beak Length (mm)": 50, "Beak Depth (mm)": 16, "Flipper Length (mm)": 225, "Body Mass (g)": 5700 } }));
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ model: MODEL, version: 2, label: "MALE" });
      expect(await fetch(`${svc.url}/healthz`).then((r) => r.json())).toMatchObject({ status: "ok", version: 2 });
    } finally {
      await svc.close();
    }
  });

  it("takes an alert through its lifecycle with the SDK: acknowledged, then resolved, both recorded with who and when", async () => {
    const { alerts } = await client.alerts.list({ model: MODEL, status: "open" });
    const alert = alerts[0];
    const acked = await client.alerts.acknowledge(alert.id, { note: "looking at the shifted traffic" });
    expect(acked).toMatchObject({ id: alert.id, status: "acknowledged" });
    expect(acked.acknowledgedBy).toBeTruthy();
    const resolved = await client.alerts.resolve(alert.id);
    expect(resolved).toMatchObject({ status: "resolved", acknowledgedAt: acked.acknowledgedAt });
    expect(resolved.resolvedAt).toBeTruthy();
    expect((await client.alerts.list({ model: MODEL, status: "resolved" })).alerts.map((a) => a.id)).toEqual([alert.id]);
    const monitor = await client.monitors.get(alert.monitorId);
    expect(monitor.webhooks.every((w) => w.hasSecret)).toBe(true);
  });

  it("runs as `npm start` does: exit code 0, the report, the payloads and the swap on stdout", async () => {
    const run = promisify(execFile);
    const env = { ...process.env, CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey };
    // Asynchronously: the server runs in this process and must keep answering. execFile rejects on a non-zero exit.
    const { stdout } = await run(process.execPath, ["run.mjs", "--project", "serve-monitor-cli", "--wait", "30"], { cwd: here, env });
    expect(stdout).toMatch(/penguin-sex v1 \(run [0-9a-f-]{36}\) promoted to production/);
    expect(stdout).toMatch(/traffic: 86 normal predictions \(9\d\.\d % right\), 86 shifted \([67]\d\.\d % right\)/);
    expect(stdout).toMatch(/Body Mass \(g\) +psi +\d\.\d+ \(threshold 0\.2\) drift/);
    expect(stdout).toMatch(/\[receiver\] retrain from project serve-monitor-cli: penguin-sex: accuracy below 0\.8/);
    expect(stdout).toMatch(/\[receiver\] +command: cairn rerun [0-9a-f-]{36}/);
    expect(stdout).toContain("service now serves penguin-sex v2 (no restart; swaps: v1→v2)");
  }, 80_000);
});
