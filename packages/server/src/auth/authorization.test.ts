import { describe, expect, it } from "vitest";
import { testDrivers } from "../testing.js";
import { call, newProject, newRun, useServer } from "../../test/support.js";
import { versionBody } from "../datasets/dataset-fixtures.testutil.js";

/**
 * Generated from the route table: every /api/v1 route in the OpenAPI document is called
 * without a key (401), with a key of another project (404, never the data) and with a
 * reader key (403 for writes). A new route without an entry below fails this suite.
 */
const BODIES: Record<string, unknown> = {
  "post /api/v1/projects": { name: "{newProject}" },
  "post /api/v1/projects/{project}/runs": { name: "r" },
  "patch /api/v1/runs/{runId}": { notes: "n" },
  "post /api/v1/runs/{runId}/params": { params: { x: 1 } },
  "post /api/v1/runs/{runId}/metrics": { points: [{ key: "loss", value: 1, step: 99 }] },
  "post /api/v1/runs/{runId}/heartbeat": undefined,
  "post /api/v1/keys": { name: "k", role: "reader", projects: ["{project}"] },
  "delete /api/v1/keys/{id}": undefined,
  "post /api/v1/session": { key: "cairn_not_a_key_000000000000000000000000" },
  "delete /api/v1/session": undefined,
  "put /api/v1/runs/{runId}/artifacts/{path}": "content",
  "delete /api/v1/runs/{runId}/artifacts/{path}": undefined,
  "post /api/v1/runs/{runId}/artifacts": { artifacts: [{ path: "x.bin", sha256: "0".repeat(64), size: 1 }] },
  "post /api/v1/admin/gc": { dryRun: true },
  "delete /api/v1/runs/{runId}": undefined,
  "post /api/v1/runs/{runId}/restore": undefined,
  "delete /api/v1/projects/{project}": undefined,
  "post /api/v1/projects/{project}/restore": undefined,
  "post /api/v1/projects/{project}/datasets/{name}/versions": versionBody("authz-new"),
  "post /api/v1/runs/{runId}/inputs": { datasetVersionId: "{datasetVersionId}", role: "train" },
  "post /api/v1/runs/{runId}/outputs": { datasetVersionId: "{datasetVersionId}", role: "out" },
  "post /api/v1/projects/{project}/models": { name: "m2" },
  "patch /api/v1/projects/{project}/models/{name}": { description: "authz" },
  "post /api/v1/projects/{project}/models/{name}/versions": { runId: "{runId}", artifactPath: "seed.txt" },
  "patch /api/v1/projects/{project}/models/{name}/versions/{version}": { description: "authz" },
  "post /api/v1/projects/{project}/models/{name}/versions/{version}/checks": { kind: "performance", status: "passed", figures: {} },
  "post /api/v1/projects/{project}/models/{name}/versions/{version}/checks/compute": { kind: "schema", compatibleWith: "production" },
  "put /api/v1/projects/{project}/models/{name}/policy": { alias: "production", rules: [] },
  "put /api/v1/projects/{project}/models/{name}/aliases/{alias}": { version: 1 },
  "post /api/v1/projects/{project}/models/{name}/aliases/{alias}/evaluate": { version: 1 },
  "delete /api/v1/projects/{project}/models/{name}/aliases/{alias}": undefined,
  "post /api/v1/projects/{project}/monitors": { name: "authz", model: "d", rule: { type: "latency", max: 100 } },
  "patch /api/v1/projects/{project}/monitors/{monitorId}": { name: "renamed" },
  "delete /api/v1/projects/{project}/monitors/{monitorId}": undefined,
  "patch /api/v1/projects/{project}/alerts/{alertId}": { status: "acknowledged" },
  "post /api/v1/projects/{project}/predictions": { predictions: [{ id: "0192f1a0-0000-7000-8000-000000000001", model: "d", version: 1, features: { x: 1 }, output: 1 }] },
  "post /api/v1/projects/{project}/labels": { labels: [{ predictionId: "0192f1a0-0000-7000-8000-000000000001", label: 1 }] },
  "post /api/v1/metrics/histories": { series: [{ runId: "{runId}", key: "loss" }], maxPoints: 100 },
};

/** Routes that touch no single project: what each kind of key gets. */
const UNSCOPED: Record<string, { otherProject: number; reader: number }> = {
  "get /api/v1/projects": { otherProject: 200, reader: 200 },
  "post /api/v1/projects": { otherProject: 403, reader: 403 },
  "get /api/v1/whoami": { otherProject: 200, reader: 200 },
  "get /api/v1/keys": { otherProject: 403, reader: 403 },
  "post /api/v1/keys": { otherProject: 403, reader: 403 },
  "delete /api/v1/keys/{id}": { otherProject: 403, reader: 403 },
  // Logging in takes the key from the body (a bad one here): 401 whoever calls.
  "post /api/v1/session": { otherProject: 401, reader: 401 },
  "delete /api/v1/session": { otherProject: 204, reader: 204 },
  "get /api/v1/audit": { otherProject: 200, reader: 200 },
  "get /api/v1/audit/verify": { otherProject: 403, reader: 403 },
  "get /api/v1/audit/export": { otherProject: 200, reader: 200 },
  // Blobs are shared by every project: only an all-projects admin may collect them.
  "post /api/v1/admin/gc": { otherProject: 403, reader: 403 },
  // A read with the runs in its body: a run of a project the key does not cover is hidden (404).
  "post /api/v1/metrics/histories": { otherProject: 404, reader: 200 },
};

describe.each(testDrivers)("authorisation of every route (%s)", (driver) => {
  const srv = useServer(driver);

  it("refuses without a key, hides other projects' objects, and enforces roles", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const other = await newProject(admin);
    const run = await newRun(admin, project);
    await call(admin, "POST", `/api/v1/runs/${run.id}/metrics`, { points: [{ key: "loss", value: 1, step: 0 }] });
    await call(admin, "PUT", `/api/v1/runs/${run.id}/artifacts/seed.txt`, "seed"); // what {path} names below
    const makeKey = async (role: string, projects: string[]) =>
      (await call(admin, "POST", "/api/v1/keys", { name: `${role}-${projects.join()}`, role, projects })).body;
    const reader = await makeKey("reader", [project]);
    const otherWriter = await makeKey("writer", [other]);
    const spare = await makeKey("reader", [project]);
    const as = (secret?: string) => ({ url: admin.url, ...(secret ? { apiKey: secret } : {}) });
    const datasetVersion = (await call(admin, "POST", `/api/v1/projects/${project}/datasets/d/versions`, versionBody("authz"))).body;
    // Model d v1 holding seed.txt: what {name}, {version} and {path} name on the model routes.
    expect((await call(admin, "POST", `/api/v1/projects/${project}/models/d/versions`, { runId: run.id, artifactPath: "seed.txt" })).status).toBe(201);
    // d v1 holds production: what {alias} names; its evaluation is what /evaluations/{id} names.
    const promoted = await call(admin, "PUT", `/api/v1/projects/${project}/models/d/aliases/production`, { version: 1 });
    expect(promoted.status).toBe(200);
    // A monitor of d and an alert of it (as the scheduler stores one): what {monitorId} and {alertId} name.
    const monitor = (await call(admin, "POST", `/api/v1/projects/${project}/monitors`, { name: "authz", model: "d", rule: { type: "latency", max: 100 } })).body;
    const alertId = "0192f1a0-0000-7000-8000-00000000a1e7";
    await admin.query("insert into alerts (id, project_id, monitor_id, figures, message, window_start, window_end) values ($1, $2, $3, '{}', 'authz', now(), now())", [alertId, monitor.projectId, monitor.id]);
    // A stored prediction of d v1: what /predictions/{id} names.
    const predictionId = `${Date.now().toString(16).padStart(12, "0").replace(/^(.{8})(.{4})$/, "$1-$2")}-7000-8000-000000000001`;
    expect((await call(admin, "POST", `/api/v1/projects/${project}/predictions`, { predictions: [{ id: predictionId, model: "d", version: 1, features: { x: 1 }, output: 1 }] })).status).toBe(200);

    const doc = (await call(admin, "GET", "/openapi.json")).body;
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method, path })),
    );
    expect(routes.length).toBeGreaterThan(10);
    const fill = (s: string) =>
      s.replaceAll("{monitorId}", monitor.id).replaceAll("{alertId}", alertId).replace("/predictions/{id}", `/predictions/${predictionId}`).replace("/monitoring/distribution", "/monitoring/distribution?feature=x&start=2026-01-01T00:00:00Z").replace("/lineage/{kind}/{id}", `/lineage/run/${run.id}`).replace("/dataset-versions/{id}", `/dataset-versions/${datasetVersion.id}`).replaceAll("{evaluationId}", promoted.body.evaluation.id).replaceAll("{alias}", "production").replaceAll("{project}", project).replaceAll("{runId}", run.id).replaceAll("{key}", "loss").replaceAll("{id}", spare.id).replaceAll("{path}", "seed.txt").replaceAll("{newProject}", `${project}-x`).replaceAll("{name}", "d").replaceAll("{version}", "1").replaceAll("{datasetVersionId}", datasetVersion.id);
    const bodyOf = (id: string) => {
      if (!(id in BODIES)) return undefined;
      const b = BODIES[id];
      return b === undefined ? undefined : JSON.parse(fill(JSON.stringify(b)));
    };

    for (const { method, path } of routes) {
      const id = `${method} ${path}`;
      const url = fill(path);
      const write = method !== "get";
      if (write) expect(Object.keys(BODIES), `add a request body for ${id} to BODIES`).toContain(id);
      const body = bodyOf(id);

      const anonymous = await call(as(), method.toUpperCase(), url, body);
      expect(anonymous.status, `${id} without a key`).toBe(401);
      expect(anonymous.body.code).toBe("unauthorized");

      const scoped = path.includes("{project}") || path.includes("{runId}") || path.startsWith("/api/v1/lineage/") || path.startsWith("/api/v1/dataset-versions/");
      if (!scoped) {
        expect(Object.keys(UNSCOPED), `add ${id} to UNSCOPED with the expected statuses`).toContain(id);
        expect((await call(as(otherWriter.secret), method.toUpperCase(), url, body)).status, `${id} with another project's key`).toBe(UNSCOPED[id]!.otherProject);
        expect((await call(as(reader.secret), method.toUpperCase(), url, body)).status, `${id} with a reader key`).toBe(UNSCOPED[id]!.reader);
        continue;
      }
      const foreign = await call(as(otherWriter.secret), method.toUpperCase(), url, body);
      expect(foreign.status, `${id} with another project's key`).toBe(404);
      expect(JSON.stringify(foreign.body)).not.toContain(run.name);
      const asReader = await call(as(reader.secret), method.toUpperCase(), url, body);
      expect(asReader.status, `${id} with a reader key`).toBe(write ? 403 : 200);
    }
  });

  it("lists only the projects a key covers, and a scoped admin cannot mint a wider key", async () => {
    const admin = srv();
    const mine = await newProject(admin);
    const theirs = await newProject(admin);
    const scopedAdmin = (await call(admin, "POST", "/api/v1/keys", { name: "pa", role: "admin", projects: [mine] })).body;
    const as = { url: admin.url, apiKey: scopedAdmin.secret };
    const names = (await call(as, "GET", "/api/v1/projects?limit=1000")).body.projects.map((p: { name: string }) => p.name);
    expect(names).toContain(mine);
    expect(names).not.toContain(theirs);
    expect((await call(as, "POST", "/api/v1/keys", { name: "w", role: "writer", projects: "*" })).status).toBe(403);
    expect((await call(as, "POST", "/api/v1/keys", { name: "w", role: "writer", projects: [theirs] })).status).toBe(403);
    const ok = await call(as, "POST", "/api/v1/keys", { name: "w", role: "writer", projects: [mine] });
    expect(ok.status).toBe(201);
    expect(ok.body.secret).toMatch(/^cairn_/);
    expect((await call(as, "GET", "/api/v1/keys")).body.keys.map((k: { id: string }) => k.id)).toContain(ok.body.id);
  });

  it("revokes a key at once, rejects expired and malformed keys, and never returns a secret twice", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const k = (await call(admin, "POST", "/api/v1/keys", { name: "tmp", role: "writer", projects: [project] })).body;
    const as = { url: admin.url, apiKey: k.secret };
    expect((await call(as, "GET", "/api/v1/whoami")).body).toMatchObject({ keyId: k.id, role: "writer", projects: [project], via: "key" });
    const listed = (await call(admin, "GET", "/api/v1/keys?limit=1000")).body.keys.find((x: { id: string }) => x.id === k.id);
    expect(listed).toMatchObject({ name: "tmp", prefix: k.secret.slice(0, 12) });
    expect(JSON.stringify(listed)).not.toContain(k.secret);
    expect((await call(admin, "DELETE", `/api/v1/keys/${k.id}`)).body.revokedAt).not.toBeNull();
    expect((await call(as, "GET", "/api/v1/whoami")).status).toBe(401);
    const stored = await admin.query<{ secret_hash: string }>("select secret_hash from api_keys where id = $1", [k.id]);
    expect(stored[0]!.secret_hash).not.toContain(k.secret);
    expect((await call(admin, "POST", "/api/v1/keys", { name: "old", role: "reader", projects: "*", expiresAt: Date.now() - 1 })).status).toBe(400);
    const soon = (await call(admin, "POST", "/api/v1/keys", { name: "soon", role: "reader", projects: "*", expiresAt: Date.now() + 1500 })).body;
    expect((await call({ url: admin.url, apiKey: soon.secret }, "GET", "/api/v1/whoami")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 7000)); // past expiry and the 5 s key cache
    expect((await call({ url: admin.url, apiKey: soon.secret }, "GET", "/api/v1/whoami")).status).toBe(401);
    for (const header of ["Bearer", "Basic abc", "Bearer short", `Bearer ${"x".repeat(400)}`]) {
      expect((await call({ url: admin.url }, "GET", "/api/v1/whoami", undefined, { authorization: header })).status, header).toBe(401);
    }
  }, 30_000);
});
