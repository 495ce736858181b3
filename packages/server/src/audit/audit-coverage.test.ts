import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { testDrivers } from "../testing.js";
import { call, newProject, newRun, useServer } from "../../test/support.js";
import { versionBody } from "../datasets/dataset-fixtures.testutil.js";
import { uuidv7 } from "@cairn/core";

/**
 * Generated from the route table: every state-changing /api/v1 route, called successfully,
 * leaves an audit event carrying that request's id. A new write route that forgets to
 * audit fails here. Liveness signals are the one exemption (see NOT_AUDITED).
 */
const NOT_AUDITED = new Set([
  // A heartbeat only moves heartbeat_at every 30 s; a crashed run coming back is audited (runs.test.ts).
  "post /api/v1/runs/{runId}/heartbeat",
  // A read (a POST only because its list of series does not fit a URL): reads are not audited.
  "post /api/v1/metrics/histories",
]);

describe.each(testDrivers)("every write route is audited (%s)", (driver) => {
  const srv = useServer(driver);

  it("leaves an event with the request's id for each successful write", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const run = await newRun(admin, project);
    const spare = (await call(admin, "POST", "/api/v1/keys", { name: "spare", role: "reader", projects: [project] })).body;
    await call(admin, "PUT", `/api/v1/runs/${run.id}/artifacts/seed.txt`, "link me"); // a blob to link by sha256
    const datasetVersion = (await call(admin, "POST", `/api/v1/projects/${project}/datasets/d/versions`, versionBody("audit-linked"))).body;
    // Model d v1 (from seed.txt): what {name} and {version} name on the model routes.
    expect((await call(admin, "POST", `/api/v1/projects/${project}/models/d/versions`, { runId: run.id, artifactPath: "seed.txt" })).status).toBe(201);
    const auditedPrediction = uuidv7();
    const bodies: Record<string, unknown> = {
      "post /api/v1/projects/{project}/datasets/{name}/versions": versionBody("audit-new"),
      "post /api/v1/runs/{runId}/inputs": { datasetVersionId: datasetVersion.id, role: "train" },
      "post /api/v1/runs/{runId}/outputs": { datasetVersionId: datasetVersion.id, role: "out" },
      "post /api/v1/projects": { name: `${project}-new` },
      "post /api/v1/projects/{project}/runs": { name: "r2" },
      "patch /api/v1/runs/{runId}": { notes: "audited" },
      "post /api/v1/runs/{runId}/params": { params: { audited: true } },
      "post /api/v1/runs/{runId}/metrics": { points: [{ key: "loss", value: 1, step: 0 }] },
      "post /api/v1/keys": { name: "k", role: "reader", projects: [project] },
      "delete /api/v1/keys/{id}": undefined,
      "post /api/v1/session": { key: admin.apiKey },
      "delete /api/v1/session": undefined,
      "put /api/v1/runs/{runId}/artifacts/{path}": "audited content",
      "delete /api/v1/runs/{runId}/artifacts/{path}": undefined,
      "post /api/v1/runs/{runId}/artifacts": { artifacts: [{ path: "linked.txt", sha256: createHash("sha256").update("link me").digest("hex"), size: 7 }] },
      "post /api/v1/admin/gc": { dryRun: false, purgeExpired: false, graceHours: 10_000 },
      "delete /api/v1/runs/{runId}": undefined,
      "post /api/v1/runs/{runId}/restore": undefined,
      "delete /api/v1/projects/{project}": undefined,
      "post /api/v1/projects/{project}/restore": undefined,
      "post /api/v1/projects/{project}/models": { name: "m2" },
      "patch /api/v1/projects/{project}/models/{name}": { description: "audited" },
      "post /api/v1/projects/{project}/models/{name}/versions": { runId: run.id, artifactPath: "seed.txt" },
      "patch /api/v1/projects/{project}/models/{name}/versions/{version}": { description: "audited" },
      "post /api/v1/projects/{project}/models/{name}/versions/{version}/checks": { kind: "performance", status: "passed", figures: { accuracy: 0.9 } },
      "post /api/v1/projects/{project}/models/{name}/versions/{version}/checks/compute": { kind: "schema", compatibleWith: "production" },
      // The gate's routes run in document order: policy, promote d v1 to production, dry run, remove the alias.
      "put /api/v1/projects/{project}/models/{name}/policy": { alias: "production", rules: [] },
      "put /api/v1/projects/{project}/models/{name}/aliases/{alias}": { version: 1, reason: "audited" },
      "post /api/v1/projects/{project}/models/{name}/aliases/{alias}/evaluate": { version: 1 },
      "delete /api/v1/projects/{project}/models/{name}/aliases/{alias}": undefined,
      // Monitors: created, changed and deleted; an alert of another monitor acknowledged.
      "post /api/v1/projects/{project}/monitors": { name: "audited", model: "d", rule: { type: "drift", max: 0.2 } },
      "patch /api/v1/projects/{project}/monitors/{monitorId}": { cooldown: "2h" },
      "delete /api/v1/projects/{project}/monitors/{monitorId}": undefined,
      "patch /api/v1/projects/{project}/alerts/{alertId}": { status: "acknowledged", note: "audited" },
      // Model d v1 exists: one prediction, then its label (matched at once).
      "post /api/v1/projects/{project}/predictions": { predictions: [{ id: auditedPrediction, model: "d", version: 1, features: { x: 1 }, output: 1 }] },
      "post /api/v1/projects/{project}/labels": { labels: [{ predictionId: auditedPrediction, label: 1 }] },
    };
    // Deletion routes act on their own run and project (deleted, then restored: the document lists delete first).
    const doomedProject = await newProject(admin);
    const doomedRun = await newRun(admin, project);
    const subjects: Record<string, { project?: string; runId?: string }> = {
      "delete /api/v1/runs/{runId}": { runId: doomedRun.id },
      "post /api/v1/runs/{runId}/restore": { runId: doomedRun.id },
      "delete /api/v1/projects/{project}": { project: doomedProject },
      "post /api/v1/projects/{project}/restore": { project: doomedProject },
    };
    const monitorOf = async (name: string) => (await call(admin, "POST", `/api/v1/projects/${project}/monitors`, { name, model: "d", rule: { type: "latency", max: 100 } })).body;
    const doomedMonitor = await monitorOf("doomed");
    const alerting = await monitorOf("alerting");
    const alertId = "0192f1a0-0000-7000-8000-00000000a1e7";
    await admin.query("insert into alerts (id, project_id, monitor_id, figures, message, window_start, window_end) values ($1, $2, $3, '{}', 'audit', now(), now())", [alertId, alerting.projectId, alerting.id]);
    const doc = (await call(admin, "GET", "/openapi.json")).body;
    const writes = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method, path })))
      .filter((r) => r.method !== "get" && !NOT_AUDITED.has(`${r.method} ${r.path}`));
    expect(writes.length).toBeGreaterThanOrEqual(8);
    for (const { method, path } of writes) {
      const id = `${method} ${path}`;
      expect(Object.keys(bodies), `add a successful request body for ${id}`).toContain(id);
      const url = path.replaceAll("{monitorId}", doomedMonitor.id).replaceAll("{alertId}", alertId).replaceAll("{project}", subjects[id]?.project ?? project).replaceAll("{runId}", subjects[id]?.runId ?? run.id).replaceAll("{id}", spare.id).replaceAll("{path}", "audited.txt").replaceAll("{name}", "d").replaceAll("{version}", "1").replaceAll("{alias}", "production");
      let r: Awaited<ReturnType<typeof call>>;
      if (id === "delete /api/v1/session") {
        // Logging out ends a cookie session: log in first, then send the cookie (and our Origin).
        const login = await call({ url: admin.url }, "POST", "/api/v1/session", { key: admin.apiKey });
        const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
        r = await call({ url: admin.url }, "DELETE", url, undefined, { cookie, origin: admin.url });
      } else {
        r = await call(admin, method.toUpperCase(), url, bodies[id]);
      }
      expect(r.status, `${id}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
      const requestId = r.headers.get("x-request-id");
      const events = (await call(admin, "GET", `/api/v1/audit?limit=20`)).body.events as Array<{ requestId: string | null; action: string }>;
      expect(events.some((e) => e.requestId === requestId), `${id} wrote no audit event`).toBe(true);
    }
  });
});
