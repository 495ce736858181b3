import { Monitor, MonitorList } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { call, newProject, newRun, useServer } from "../../test/support.js";
import { putFile } from "../models/models.testutil.js";
import { testDrivers, type TestServer } from "../testing.js";

const SECRET = "s3cret-s3cret-s3cret";

async function modelIn(srv: TestServer, project: string, name = "fraud"): Promise<void> {
  const run = await newRun(srv, project);
  await putFile(srv, run.id, "model.bin", "weights");
  const r = await call(srv, "POST", `/api/v1/projects/${project}/models/${name}/versions`, { runId: run.id, artifactPath: "model.bin" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

const drift = { name: "x drifts", model: "fraud", rule: { type: "drift", feature: "x", max: 0.1 } };

describe.each(testDrivers)("monitors (%s)", (driver) => {
  const srv = useServer(driver);

  it("creates with defaults, lists, reads, changes and deletes a monitor; every write audited", async () => {
    const project = await newProject(srv());
    await modelIn(srv(), project);
    const base = `/api/v1/projects/${project}/monitors`;
    const created = await call(srv(), "POST", base, { ...drift, webhooks: [{ url: "https://hooks.example.com/cairn", secret: SECRET }] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const m = Monitor.parse(created.body);
    expect(m).toMatchObject({ model: "fraud", alias: "production", window: "1h", minSamples: 100, cooldown: "1h", retrain: false, enabled: true, lastEvaluatedAt: null });
    expect(m.webhooks).toEqual([{ url: "https://hooks.example.com/cairn", hasSecret: true }]);
    expect(JSON.stringify(created.body)).not.toContain(SECRET);

    expect((await call(srv(), "GET", `${base}/${m.id}`)).body).toEqual(created.body);
    const second = (await call(srv(), "POST", base, { ...drift, name: "latency", rule: { type: "latency", max: 250 } })).body;
    const page1 = MonitorList.parse((await call(srv(), "GET", `${base}?limit=1`)).body);
    expect(page1.monitors.map((x) => x.id)).toEqual([m.id]);
    const page2 = MonitorList.parse((await call(srv(), "GET", `${base}?limit=1&cursor=${page1.nextCursor}`)).body);
    expect(page2.monitors.map((x) => x.id)).toEqual([second.id]);
    expect((await call(srv(), "GET", `${base}?model=other`)).body.monitors).toEqual([]);

    // A read-modify-write without the secret keeps it; a new URL without one has none.
    const patched = await call(srv(), "PATCH", `${base}/${m.id}`, { cooldown: "6h", webhooks: [{ url: "https://hooks.example.com/cairn" }, { url: "https://other.example.com/x" }] });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ cooldown: "6h", webhooks: [{ url: "https://hooks.example.com/cairn", hasSecret: true }, { url: "https://other.example.com/x", hasSecret: false }] });
    const [stored] = await srv().query<{ webhooks: unknown }>("select webhooks from monitors where id = $1", [m.id]);
    expect(JSON.stringify(stored!.webhooks)).toContain(SECRET);

    expect((await call(srv(), "DELETE", `${base}/${m.id}`)).status).toBe(200);
    expect((await call(srv(), "GET", `${base}/${m.id}`)).status).toBe(404);
    const events = (await call(srv(), "GET", `/api/v1/audit?subjectId=${m.id}&limit=50`)).body.events as Array<{ action: string; subject: { id: string } }>;
    const mine = events.filter((e) => e.subject.id === m.id).map((e) => e.action);
    expect(mine.sort()).toEqual(["monitor.create", "monitor.delete", "monitor.update"]);
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });

  it("names the field of a bad rule (400), 404s an unknown model or monitor, and stores nothing", async () => {
    const project = await newProject(srv());
    await modelIn(srv(), project);
    const base = `/api/v1/projects/${project}/monitors`;
    const cases: Array<[unknown, string]> = [
      [{ type: "drift", max: -1 }, "rule.max"],
      [{ type: "bogus" }, "rule.type"],
      [{ type: "performance", metric: "accuracy" }, "rule.min"],
      [{ type: "volume", minRatio: 2 }, "rule.minRatio"],
      [{ type: "latency", percentile: "p42", max: 1 }, "rule.percentile"],
      [{ type: "schema_violation_rate", max: 1.5 }, "rule.max"],
    ];
    for (const [rule, path] of cases) {
      const r = await call(srv(), "POST", base, { ...drift, rule });
      expect(r.status, JSON.stringify(rule)).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const ftp = await call(srv(), "POST", base, { ...drift, webhooks: [{ url: "ftp://example.com/x" }] });
    expect(ftp.status).toBe(400);
    expect(ftp.body.errors[0].path).toBe("webhooks[0].url");
    expect((await call(srv(), "POST", base, { ...drift, webhooks: [{ url: "https://x.example.com", secret: "short" }] })).body.errors[0].path).toBe("webhooks[0].secret");
    expect((await call(srv(), "POST", base, { ...drift, model: "nope" })).status).toBe(404);
    expect((await call(srv(), "GET", `${base}/00000000-0000-7000-8000-000000000000`)).status).toBe(404);
    expect((await call(srv(), "GET", `${base}/not-a-uuid`)).status).toBe(404);
    expect((await call(srv(), "PATCH", `${base}/00000000-0000-7000-8000-000000000000`, { name: "x" })).status).toBe(404);
    const ok = (await call(srv(), "POST", base, drift)).body;
    expect((await call(srv(), "PATCH", `${base}/${ok.id}`, { rule: { type: "drift", max: "high" } })).body.errors[0].path).toBe("rule.max");
    expect((await call(srv(), "PATCH", `${base}/${ok.id}`, { model: "other" })).status).toBe(400);
    expect((await call(srv(), "GET", `${base}/${ok.id}`)).body.rule).toEqual(drift.rule);
    const [{ n }] = (await srv().query<{ n: number }>("select count(*)::int as n from monitors m join projects p on p.id = m.project_id where p.name = $1", [project])) as [{ n: number }];
    expect(n).toBe(1);
  });

  it("saves a monitor whose webhook target is refused, with the reason (loopback, link-local, private, unresolvable)", async () => {
    const project = await newProject(srv());
    await modelIn(srv(), project);
    const webhooks = ["http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data/", "http://[::1]/x", "http://10.1.2.3/x", "http://no-such-host.invalid/x", "http://localhost:8080/x"].map((url) => ({ url }));
    const r = await call(srv(), "POST", `/api/v1/projects/${project}/monitors`, { ...drift, webhooks });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const errors = r.body.validationErrors as string[];
    expect(errors).toHaveLength(6);
    expect(errors[0]).toMatch(/^webhooks\[0\]: .*127\.0\.0\.1, a loopback address/);
    expect(errors[1]).toMatch(/^webhooks\[1\]: .*169\.254\.169\.254, a link-local address/);
    expect(errors[2]).toMatch(/loopback/);
    expect(errors[3]).toMatch(/private/);
    expect(errors[4]).toMatch(/does not resolve/);
    expect(errors[5]).toMatch(/localhost resolves to .*loopback/);
    // Fixing the list clears the errors.
    const fixed = await call(srv(), "PATCH", `/api/v1/projects/${project}/monitors/${r.body.id}`, { webhooks: [{ url: "https://93.184.215.14/hook" }] });
    expect(fixed.body.validationErrors).toEqual([]);
  });
});
