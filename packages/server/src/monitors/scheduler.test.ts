import { Alert, AlertPayload, uuidv7, WebhookDeliveryList } from "@cairn/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, newProject, useServer } from "../../test/support.js";
import { HOUR, type MonitoredModel, registerMonitoredModel, servedRows, storeHour, storeLabels } from "../monitoring/monitoring.testutil.js";
import { testDrivers, type TestServer } from "../testing.js";
import { type Receiver, startReceiver, verifySignature, waitFor } from "./monitors.testutil.js";

const SECRET = "whsec-0123456789abcdef";
const iso = (ms: number) => new Date(ms).toISOString();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The scheduler judges the latest complete hour: keep clear of an hour boundary so "the previous hour" stays one hour. */
async function previousHour(): Promise<number> {
  const untilNext = HOUR - (Date.now() % HOUR);
  if (untilNext < 45_000) await pause(untilNext + 1_000);
  return Math.floor(Date.now() / HOUR) * HOUR - HOUR;
}

const SCHEDULER_ENV = {
  CAIRN_SCHEDULER_INTERVAL_SECONDS: "0.25",
  CAIRN_WEBHOOK_ALLOWLIST: "127.0.0.1",
  CAIRN_WEBHOOK_RETRY_BASE_SECONDS: "0.3",
  CAIRN_WEBHOOK_TIMEOUT_SECONDS: "2",
};

describe.each(testDrivers)("monitor scheduler, alerts and webhooks (%s)", (driver) => {
  const srv = useServer(driver, SCHEDULER_ENV);
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  async function production(s: TestServer, project: string): Promise<MonitoredModel> {
    const m = await registerMonitoredModel(s, project);
    expect((await call(s, "PUT", `/api/v1/projects/${project}/models/${m.name}/aliases/production`, { version: 1 })).status).toBe(200);
    return m;
  }
  const alertsOf = async (project: string, monitorId: string) => (await call(srv(), "GET", `/api/v1/projects/${project}/alerts?monitorId=${monitorId}`)).body.alerts as Alert[];

  it("judges a drift rule with the statistic it names (PSI here), figures and bound included", async () => {
    const hour = await previousHour();
    const project = await newProject(srv());
    const m = await production(srv(), project);
    await storeHour(srv(), m, hour, servedRows(400, 7, 60));
    const created = await call(srv(), "POST", `/api/v1/projects/${project}/monitors`, { name: "x psi", model: m.name, rule: { type: "drift", feature: "x", max: 0.2, method: "psi" } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.rule).toMatchObject({ type: "drift", method: "psi" });
    const [alert] = await waitFor("an alert", async () => {
      const a = await alertsOf(project, created.body.id as string);
      return a.length > 0 && a;
    });
    const f = alert!.figures as Record<string, any>;
    expect(f).toMatchObject({ method: "psi", bound: 0.2, comparison: ">", sampleSize: 400 });
    expect(f.observed).toBeGreaterThan(0.2);
    const bad = await call(srv(), "POST", `/api/v1/projects/${project}/monitors`, { name: "bad", model: m.name, rule: { type: "drift", max: 0.2, method: "ks" } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.errors)).toContain("rule");
  });

  it("fires on drift with the figures, once per cool-down; the signed retrain payload is retried after a 500 and delivered", async () => {
    const flaky = await startReceiver((n) => ({ status: n === 0 ? 500 : 200 }));
    try {
      const hour = await previousHour();
      const project = await newProject(srv());
      const m = await production(srv(), project);
      await storeHour(srv(), m, hour, servedRows(400, 7, 60));
      const created = await call(srv(), "POST", `/api/v1/projects/${project}/monitors`, {
        name: "x drifts",
        model: m.name,
        rule: { type: "drift", feature: "x", max: 0.1 },
        webhooks: [{ url: flaky.url, secret: SECRET }],
        retrain: true,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.validationErrors).toEqual([]);
      const monitorId = created.body.id as string;

      const [alert] = await waitFor("an alert", async () => {
        const a = await alertsOf(project, monitorId);
        return a.length > 0 && a;
      });
      expect(Alert.parse(alert)).toMatchObject({ status: "open", model: m.name, version: 1, monitorName: "x drifts", windowStart: iso(hour), windowEnd: iso(hour + HOUR) });
      const f = alert!.figures as Record<string, any>;
      expect(f.observed).toBeGreaterThan(0.1);
      expect(f).toMatchObject({ bound: 0.1, comparison: ">", sampleSize: 400, minSamples: 100, rule: { type: "drift", feature: "x", max: 0.1 }, window: { start: iso(hour) }, alias: "production", version: 1, method: "jensenshannon" });
      expect(alert!.message).toMatch(/^x drifts: drift of x 0\.\d+ > 0\.1 in .* over 400 predictions$/);

      const deliveries = await waitFor("a delivered webhook", async () => {
        const d = WebhookDeliveryList.parse((await call(srv(), "GET", `/api/v1/projects/${project}/monitors/${monitorId}/deliveries`)).body).deliveries;
        return d[0]?.status === "delivered" && d;
      });
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({ alertId: alert!.id, url: flaky.url, attempts: 2, lastStatusCode: 200 });
      expect(deliveries[0]!.latencyMs).toBeGreaterThanOrEqual(0);
      expect(flaky.received).toHaveLength(2);
      for (const r of flaky.received) {
        expect(r.headers["x-cairn-delivery"]).toBe(deliveries[0]!.id);
        expect(r.headers["content-type"]).toBe("application/json");
        expect(verifySignature(SECRET, r.body, r.headers["x-cairn-signature"] as string)).toBe(true);
        expect(verifySignature("another-secret-0000", r.body, r.headers["x-cairn-signature"] as string)).toBe(false);
      }
      const payload = AlertPayload.parse(JSON.parse(flaky.received[1]!.body));
      const version = (await call(srv(), "GET", `/api/v1/projects/${project}/models/${m.name}/versions/1`)).body;
      const dataset = (await call(srv(), "GET", `/api/v1/dataset-versions/${m.datasetVersionId}`)).body;
      expect(payload).toMatchObject({ type: "retrain", deliveryId: deliveries[0]!.id, project, alert: { id: alert!.id } });
      expect(payload.retrain).toEqual({
        model: m.name,
        alias: "production",
        version: 1,
        trainingRunId: version.runId,
        rerunCommand: `cairn rerun ${version.runId}`,
        datasets: [{ role: "train", name: dataset.name ?? expect.any(String), version: 1, digest: dataset.digest }],
        referenceDigest: dataset.digest,
        window: { start: iso(hour), end: iso(hour + HOUR) },
      });

      // Many more ticks: still one alert (cool-down 1h), one delivery.
      await pause(1500);
      expect(await alertsOf(project, monitorId)).toHaveLength(1);
      expect(flaky.received).toHaveLength(2);
      const monitor = (await call(srv(), "GET", `/api/v1/projects/${project}/monitors/${monitorId}`)).body;
      expect(Date.now() - Date.parse(monitor.lastEvaluatedAt)).toBeLessThan(3000);
      const audit = (await call(srv(), "GET", `/api/v1/audit?subjectId=${alert!.id}`)).body.events as Array<{ action: string; actor: { name: string } }>;
      expect(audit.map((e) => e.action)).toEqual(["alert.fire"]);
    } finally {
      await flaky.close();
    }
  }, 30_000);

  it("fires again after a short cool-down; performance and volume rules fire; below minSamples or within bounds nothing fires", async () => {
    const hour = await previousHour();
    const project = await newProject(srv());
    const m = await production(srv(), project);
    const rows = servedRows(400, 8, 60);
    for (let h = 1; h <= 3; h++) await storeHour(srv(), m, hour - h * HOUR, servedRows(600, 20 + h));
    await storeHour(srv(), m, hour, rows);
    // Every label says the opposite of the output: accuracy 0.
    await storeLabels(srv(), m, hour, rows.map((r) => ({ label: r.output === "1" ? "0" : "1", output: r.output })));
    const create = async (name: string, body: Record<string, unknown>) => {
      const r = await call(srv(), "POST", `/api/v1/projects/${project}/monitors`, { name, model: m.name, ...body });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    };
    const often = await create("often", { rule: { type: "drift", feature: "x", max: 0.1 }, cooldown: "1s" });
    const accuracy = await create("accuracy", { rule: { type: "performance", metric: "accuracy", min: 0.9 } });
    const volumeDrop = await create("volume drop", { rule: { type: "volume", minRatio: 0.8, trailingWindows: 3 } });
    const volume = await create("volume", { rule: { type: "volume", minRatio: 0.5, trailingWindows: 3 } });
    const few = await create("few", { rule: { type: "drift", feature: "x", max: 0.1 }, minSamples: 401 });
    const within = await create("within", { rule: { type: "latency", percentile: "p99", max: 1000 } });
    const unknownFeature = await create("unknown feature", { rule: { type: "drift", feature: "nope", max: 0.1 } });
    const noAlias = await create("no alias", { rule: { type: "drift", max: 0 }, alias: "staging" });

    const repeated = await waitFor("a second alert after the 1 s cool-down", async () => {
      const a = await alertsOf(project, often);
      return a.length >= 2 && a;
    });
    const [newer, older] = repeated as [Alert, Alert];
    expect(Date.parse(newer.firedAt) - Date.parse(older.firedAt)).toBeGreaterThanOrEqual(1000);

    const [acc] = await waitFor("an accuracy alert", async () => {
      const a = await alertsOf(project, accuracy);
      return a.length > 0 && a;
    });
    expect(acc?.figures).toMatchObject({ observed: 0, bound: 0.9, comparison: "<", sampleSize: 400 });
    // 400 predictions against a trailing average of 600: below 0.8 × 600, not below 0.5 × 600.
    const [drop] = await waitFor("a volume alert", async () => {
      const a = await alertsOf(project, volumeDrop);
      return a.length > 0 && a;
    });
    expect(drop!.figures).toMatchObject({ observed: 400, bound: 480, comparison: "<", trailingAverage: 600, trailingWindows: 3 });
    // Monitors below minSamples, within bounds, on a missing feature or an alias pointing nowhere are evaluated and stay quiet.
    await waitFor("every monitor evaluated", async () => {
      const list = (await call(srv(), "GET", `/api/v1/projects/${project}/monitors`)).body.monitors as Array<{ lastEvaluatedAt: string | null }>;
      return list.every((x) => x.lastEvaluatedAt !== null);
    });
    await pause(600);
    for (const id of [few, within, unknownFeature, noAlias, volume]) expect(await alertsOf(project, id), id).toEqual([]);
  }, 30_000);

  it("fires from predictions and late labels sent through the ingestion routes (accuracy below its floor)", async () => {
    const hour = await previousHour();
    const project = await newProject(srv());
    const m = await production(srv(), project);
    const rows = servedRows(300, 12);
    const predictions = rows.map((r, i) => {
      const t = hour + 60_000 + i * 1_000;
      return { id: uuidv7(t), model: m.name, version: 1, timestamp: t, features: r.features, output: r.output, score: r.score, latencyMs: r.latencyMs };
    });
    const monitorId = (await call(srv(), "POST", `/api/v1/projects/${project}/monitors`, { name: "accuracy", model: m.name, rule: { type: "performance", metric: "accuracy", min: 0.8 }, minSamples: 250 })).body.id;
    expect((await call(srv(), "POST", `/api/v1/projects/${project}/predictions`, { predictions })).status).toBe(200);
    // Predictions alone: no labels, no verdict.
    await waitFor("an evaluation", async () => (await call(srv(), "GET", `/api/v1/projects/${project}/monitors/${monitorId}`)).body.lastEvaluatedAt !== null);
    await pause(500);
    expect(await alertsOf(project, monitorId)).toEqual([]);
    // Ground truth arrives later: every label contradicts the model, except 40.
    const labels = predictions.map((p, i) => ({ predictionId: p.id, label: i < 40 ? rows[i]!.output : rows[i]!.output === "1" ? "0" : "1" }));
    expect((await call(srv(), "POST", `/api/v1/projects/${project}/labels`, { labels })).status).toBe(200);
    const [alert] = await waitFor("an accuracy alert", async () => {
      const a = await alertsOf(project, monitorId);
      return a.length > 0 && a;
    });
    expect(alert!.figures).toMatchObject({ observed: 40 / 300, bound: 0.8, comparison: "<", sampleSize: 300, window: { start: iso(hour) } });
  }, 30_000);

  it("moves an alert open → acknowledged → resolved with who and when; resolved is final", async () => {
    const hour = await previousHour();
    const project = await newProject(srv());
    const m = await production(srv(), project);
    await storeHour(srv(), m, hour, servedRows(200, 9, 60));
    const monitorId = (await call(srv(), "POST", `/api/v1/projects/${project}/monitors`, { name: "d", model: m.name, rule: { type: "drift", max: 0.2 } })).body.id;
    const [alert] = await waitFor("an alert", async () => {
      const a = await alertsOf(project, monitorId);
      return a.length > 0 && a;
    });
    const at = `/api/v1/projects/${project}/alerts/${alert!.id}`;
    expect((await call(srv(), "GET", at)).body).toEqual(alert);
    expect((await call(srv(), "PATCH", at, { status: "open" })).status).toBe(400);
    const acked = await call(srv(), "PATCH", at, { status: "acknowledged", note: "looking" });
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ status: "acknowledged", acknowledgedBy: "bootstrap admin", resolvedAt: null });
    expect(Date.now() - Date.parse(acked.body.acknowledgedAt)).toBeLessThan(10_000);
    expect((await call(srv(), "PATCH", at, { status: "acknowledged" })).body).toEqual(acked.body);
    const resolved = await call(srv(), "PATCH", at, { status: "resolved" });
    expect(resolved.body).toMatchObject({ status: "resolved", resolvedBy: "bootstrap admin", acknowledgedBy: "bootstrap admin" });
    const back = await call(srv(), "PATCH", at, { status: "acknowledged" });
    expect(back.status).toBe(409);
    expect((await call(srv(), "GET", at)).body.status).toBe("resolved");
    expect((await call(srv(), "GET", `/api/v1/projects/${project}/alerts?status=resolved`)).body.alerts.map((a: Alert) => a.id)).toEqual([alert!.id]);
    expect((await call(srv(), "GET", `/api/v1/projects/${project}/alerts?status=open`)).body.alerts).toEqual([]);
    expect((await call(srv(), "GET", `/api/v1/projects/${project}/alerts/00000000-0000-7000-8000-000000000000`)).status).toBe(404);
    const audit = (await call(srv(), "GET", `/api/v1/audit?subjectId=${alert!.id}`)).body.events as Array<{ action: string; after: Record<string, unknown> }>;
    expect(audit.map((e) => e.action).sort()).toEqual(["alert.acknowledge", "alert.fire", "alert.resolve"]);
    expect(audit.find((e) => e.action === "alert.acknowledge")!.after).toMatchObject({ status: "acknowledged", acknowledgedBy: "bootstrap admin", note: "looking" });
  }, 30_000);

  it("records a delivery to a refused target as refused (link-local), never sending it", async () => {
    const hour = await previousHour();
    const project = await newProject(srv());
    const m = await production(srv(), project);
    await storeHour(srv(), m, hour, servedRows(200, 10, 60));
    const created = await call(srv(), "POST", `/api/v1/projects/${project}/monitors`, {
      name: "metadata",
      model: m.name,
      rule: { type: "drift", max: 0.2 },
      webhooks: [{ url: "http://169.254.169.254/latest/meta-data/" }, { url: receiver.url }],
    });
    expect(created.status).toBe(201);
    expect(created.body.validationErrors).toEqual([expect.stringMatching(/^webhooks\[0\]: .*link-local/)]);
    const deliveries = await waitFor("both deliveries settled", async () => {
      const d = (await call(srv(), "GET", `/api/v1/projects/${project}/monitors/${created.body.id}/deliveries`)).body.deliveries as Array<{ url: string; status: string; attempts: number; lastError: string | null }>;
      return d.length === 2 && d.every((x) => x.status !== "pending") && d;
    });
    const byUrl = Object.fromEntries(deliveries.map((d) => [d.url, d]));
    expect(byUrl["http://169.254.169.254/latest/meta-data/"]).toMatchObject({ status: "refused", attempts: 1 });
    expect(byUrl["http://169.254.169.254/latest/meta-data/"]!.lastError).toMatch(/link-local/);
    expect(byUrl[receiver.url]).toMatchObject({ status: "delivered", attempts: 1 });
    const unsigned = receiver.received.find((r) => JSON.parse(r.body).alert.monitorId === created.body.id)!;
    expect(unsigned.headers["x-cairn-signature"]).toBeUndefined();
    expect(JSON.parse(unsigned.body).type).toBe("alert");
  }, 30_000);
});
