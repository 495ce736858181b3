import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, newProject, useReplica, useServer } from "../../test/support.js";
import { HOUR, registerMonitoredModel, servedRows, storeHour } from "../monitoring/monitoring.testutil.js";
import { type TestServer, testDrivers } from "../testing.js";
import { type Receiver, startReceiver, waitFor } from "./monitors.testutil.js";
import { claimDueMonitors } from "./scheduler.js";

const monitorsOf = async (s: TestServer, project: string, model: string, n: number, webhook?: string) => {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await call(s, "POST", `/api/v1/projects/${project}/monitors`, { name: `m${i}`, model, rule: { type: "drift", feature: "x", max: 0.1 }, ...(webhook ? { webhooks: [{ url: webhook }] } : {}) });
    expect(r.status).toBe(201);
    ids.push(r.body.id);
  }
  return ids;
};

describe.skipIf(!testDrivers.includes("postgres"))("two replicas on one database (postgres)", () => {
  describe("claiming", () => {
    const a = useServer("postgres", { CAIRN_SCHEDULER_INTERVAL_SECONDS: "0" });
    const b = useReplica(a, { CAIRN_SCHEDULER_INTERVAL_SECONDS: "0" });

    it("two replicas claiming at once get disjoint sets; a leased monitor is not claimed again until released and due", async () => {
      const project = await newProject(a());
      const m = await registerMonitoredModel(a(), project);
      const ids = await monitorsOf(a(), project, m.name, 40);
      const ctxA = a().server()!.ctx;
      const ctxB = b().ctx;
      const seen = new Map<string, string>();
      for (let round = 0; round < 4; round++) {
        const [fromA, fromB] = await Promise.all([claimDueMonitors(ctxA, "replica-a", 60_000, 15), claimDueMonitors(ctxB, "replica-b", 60_000, 15)]);
        for (const [owner, got] of [["a", fromA], ["b", fromB]] as const) {
          for (const row of got) {
            expect(seen.has(row.id), `${row.id} claimed twice`).toBe(false);
            seen.set(row.id, owner);
          }
        }
      }
      expect([...seen.keys()].sort()).toEqual([...ids].sort());
      // Leases held: nothing left to claim.
      expect(await claimDueMonitors(ctxB, "replica-b", 60_000, 100)).toEqual([]);
      // Released and evaluated just now: not due again within the interval.
      await a().query("update monitors set lease_owner = null, lease_until = null, last_evaluated_at = now() where id = any($1::uuid[])", [ids]);
      expect(await claimDueMonitors(ctxA, "replica-a", 60_000, 100)).toEqual([]);
      // An expired lease (a replica died mid-evaluation) is claimable.
      await a().query("update monitors set lease_owner = 'dead', lease_until = now() - interval '1 second', last_evaluated_at = null where id = $1", [ids[0]]);
      expect((await claimDueMonitors(ctxB, "replica-b", 60_000, 100)).map((r) => r.id)).toEqual([ids[0]]);
      // A deleted project's monitors are left alone.
      await a().query("update monitors set lease_owner = null, lease_until = null, last_evaluated_at = null where id = any($1::uuid[])", [ids]);
      expect((await call(a(), "DELETE", `/api/v1/projects/${project}`)).status).toBe(200);
      expect(await claimDueMonitors(ctxA, "replica-a", 60_000, 100)).toEqual([]);
    }, 60_000);
  });

  describe("scheduling", () => {
    const env = { CAIRN_SCHEDULER_INTERVAL_SECONDS: "0.2", CAIRN_WEBHOOK_ALLOWLIST: "127.0.0.1", CAIRN_WEBHOOK_RETRY_BASE_SECONDS: "0.2" };
    const a = useServer("postgres", env);
    const b = useReplica(a, env);
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await receiver?.close();
    });

    it("with both schedulers running, each firing monitor raises one alert and each delivery arrives once", async () => {
      const untilNext = HOUR - (Date.now() % HOUR);
      if (untilNext < 45_000) await new Promise((r) => setTimeout(r, untilNext + 1_000));
      const hour = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
      const project = await newProject(a());
      const m = await registerMonitoredModel(a(), project);
      expect((await call(a(), "PUT", `/api/v1/projects/${project}/models/${m.name}/aliases/production`, { version: 1 })).status).toBe(200);
      await storeHour(a(), m, hour, servedRows(300, 5, 60));
      const ids = await monitorsOf(a(), project, m.name, 12, receiver.url);
      await waitFor("an alert per monitor", async () => {
        const alerts = (await call(a(), "GET", `/api/v1/projects/${project}/alerts?limit=100`)).body.alerts as unknown[];
        return alerts.length >= ids.length;
      }, 30_000);
      await waitFor("every delivery", async () => receiver.received.length >= ids.length, 15_000);
      // Many more ticks of both replicas.
      await new Promise((r) => setTimeout(r, 2_000));
      const alerts = (await call(a(), "GET", `/api/v1/projects/${project}/alerts?limit=100`)).body.alerts as Array<{ monitorId: string }>;
      expect(alerts.map((x) => x.monitorId).sort()).toEqual([...ids].sort());
      const deliveryIds = receiver.received.map((r) => r.headers["x-cairn-delivery"]);
      expect(deliveryIds).toHaveLength(ids.length);
      expect(new Set(deliveryIds).size).toBe(ids.length);
      // Evaluation went on after the alerts (the cool-down, not a stopped scheduler, kept them at one per monitor).
      const evaluations = async (url: string) => {
        const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${a().apiKey}` } })).text();
        return [...text.matchAll(/^cairn_monitor_evaluations_total\{verdict="(\w+)"\} (\d+)$/gm)].reduce((n, x) => n + Number(x[2]), 0);
      };
      const [fromA, fromB] = [await evaluations(a().url), await evaluations(b().url)];
      expect(fromA + fromB).toBeGreaterThanOrEqual(ids.length * 2);
    }, 90_000);
  });
});
