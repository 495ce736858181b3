import { uuidv7 } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { testDrivers, type TestServer } from "../testing.js";
import { call, newProject, newRun, useServer } from "../../test/support.js";

const points = (key: string, n: number) => ({ points: Array.from({ length: n }, (_, i) => ({ key, value: i / 10, step: i })) });

/** A run with params, tags, two metric series, an artifact record and a dataset link. */
async function fullRun(srv: TestServer, project: string) {
  const run = await newRun(srv, project, { params: { lr: 0.1 }, tags: { team: "fraud" } });
  expect((await call(srv, "POST", `/api/v1/runs/${run.id}/metrics`, points("loss", 300))).status).toBe(200);
  expect((await call(srv, "POST", `/api/v1/runs/${run.id}/metrics`, points("acc", 5))).status).toBe(200);
  const sha = uuidv7().replace(/-/g, "").padEnd(64, "0");
  await srv.query("insert into blobs (sha256, size) values ($1, 3)", [sha]);
  await srv.query("insert into artifacts (id, run_id, path, sha256, size, media_type) values ($1, $2, 'model.bin', $3, 3, 'application/octet-stream')", [uuidv7(), run.id, sha]);
  const [{ id: projectId }] = (await srv.query<{ id: string }>("select id::text as id from projects where name = $1", [project])) as [{ id: string }];
  const datasetId = uuidv7();
  const versionId = uuidv7();
  await srv.query("insert into datasets (id, project_id, name) values ($1, $2, $3)", [datasetId, projectId, `d-${datasetId.slice(-6)}`]);
  await srv.query("insert into dataset_versions (id, dataset_id, version, digest, row_count, schema, artifact_run_id) values ($1, $2, 1, 'x', 1, '{}'::jsonb, $3)", [versionId, datasetId, run.id]);
  await srv.query("insert into run_datasets (run_id, dataset_version_id, direction, role) values ($1, $2, 'input', 'train')", [run.id, versionId]);
  return { run, sha, versionId };
}

async function rowCounts(srv: TestServer, runId: string) {
  const [c] = (await srv.query<Record<string, number>>(
    `select (select count(*)::int from runs where id = $1) as runs,
            (select count(*)::int from metric_series where run_id = $1) as series,
            (select count(*)::int from metric_points p join metric_series s on s.id = p.series_id where s.run_id = $1) as points,
            (select count(*)::int from metric_rollups r join metric_series s on s.id = r.series_id where s.run_id = $1) as rollups,
            (select count(*)::int from artifacts where run_id = $1) as artifacts,
            (select count(*)::int from run_datasets where run_id = $1) as links`,
    [runId],
  )) as [Record<string, number>];
  return c;
}

async function keyFor(srv: TestServer, role: string, project: string): Promise<TestServer> {
  const key = (await call(srv, "POST", "/api/v1/keys", { name: `${role}-${project}`, role, projects: [project] })).body;
  return { ...srv, apiKey: key.secret };
}

const auditOf = async (srv: TestServer, id: string) =>
  ((await call(srv, "GET", `/api/v1/audit?limit=100&subjectId=${id}`)).body.events as Array<{ action: string; after: any; actor: any }>).map((e) => e.action);

describe.each(testDrivers)("deleting runs and projects (%s)", (driver) => {
  const srv = useServer(driver);

  it("soft delete hides a run from get, list and search and refuses every write with 404; restore brings it back intact", async () => {
    const project = await newProject(srv());
    const { run } = await fullRun(srv(), project);
    const child = await newRun(srv(), project, { parentId: run.id });
    const del = await call(srv(), "DELETE", `/api/v1/runs/${run.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: run.id, purged: false, removed: null });
    expect(Date.parse(del.body.purgeAt) - Date.parse(del.body.deletedAt)).toBe(30 * 86_400_000);

    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}`)).status).toBe(404);
    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics`)).status).toBe(404);
    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}/params`)).status).toBe(404);
    const list = await call(srv(), "GET", `/api/v1/projects/${project}/runs`);
    expect(list.body.runs.map((r: any) => r.id)).toEqual([child.id]);
    const search = await call(srv(), "GET", `/api/v1/projects/${project}/runs?filter=${encodeURIComponent("params.lr = 0.1")}`);
    expect(search.body.runs).toEqual([]);
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, points("loss", 2))).status).toBe(404);
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/params`, { params: { extra: 1 } })).status).toBe(404);
    expect((await call(srv(), "PATCH", `/api/v1/runs/${run.id}`, { tags: { x: "y" } })).status).toBe(404);
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/heartbeat`)).status).toBe(404);
    expect((await call(srv(), "DELETE", `/api/v1/runs/${run.id}`)).status).toBe(404);
    expect((await call(srv(), "POST", `/api/v1/projects/${project}/runs`, { parentId: run.id })).body.errors[0].path).toBe("parentId");
    // A retried create with the same client id does not resurrect it silently.
    expect((await call(srv(), "POST", `/api/v1/projects/${project}/runs`, { id: run.id })).status).toBe(409);

    // The child stays and still points at its parent; the trash lists the run with its purge time.
    expect((await call(srv(), "GET", `/api/v1/runs/${child.id}`)).body.parentId).toBe(run.id);
    const trash = await call(srv(), "GET", `/api/v1/projects/${project}/runs?deleted=only`);
    expect(trash.body.runs.map((r: any) => [r.id, r.purgeAt])).toEqual([[run.id, del.body.purgeAt]]);
    const visible = await call(srv(), "GET", `/api/v1/runs/${run.id}?includeDeleted=true`);
    expect(visible.status).toBe(200);
    expect(visible.body.deletedAt).toBe(del.body.deletedAt);

    const restored = await call(srv(), "POST", `/api/v1/runs/${run.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id: run.id, deletedAt: null, params: { lr: 0.1 }, tags: { team: "fraud" } });
    expect(restored.body.metrics.loss.count).toBe(300);
    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}/metrics/loss`)).body.total).toBe(300);
    expect(await rowCounts(srv(), run.id)).toMatchObject({ runs: 1, series: 2, points: 305, artifacts: 1, links: 1 });
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, points("loss", 301))).body.written).toBe(1);
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/restore`)).status).toBe(409);
    expect(await auditOf(srv(), run.id)).toEqual(expect.arrayContaining(["run.delete", "run.restore"]));
  });

  it("purge removes every row of the run, keeps blobs, dataset versions and other runs, and is audited with counts", async () => {
    const project = await newProject(srv());
    const { run, sha, versionId } = await fullRun(srv(), project);
    const { run: other } = await fullRun(srv(), project);
    const retrained = await newRun(srv(), project, { retrainedFrom: run.id, parentId: run.id });
    const before = await rowCounts(srv(), other.id);

    const purge = await call(srv(), "DELETE", `/api/v1/runs/${run.id}?purge=true`);
    expect(purge.status).toBe(200);
    expect(purge.body).toMatchObject({ purged: true, removed: { points: 305, series: 2, artifacts: 1, datasetLinks: 1 } });
    expect(purge.body.removed.rollups).toBeGreaterThan(0);
    expect(await rowCounts(srv(), run.id)).toEqual({ runs: 0, series: 0, points: 0, rollups: 0, artifacts: 0, links: 0 });
    expect(await rowCounts(srv(), other.id)).toEqual(before);
    expect(await srv().query("select 1 from blobs where sha256 = $1", [sha])).toHaveLength(1);
    expect(await srv().query("select artifact_run_id from dataset_versions where id = $1", [versionId])).toEqual([{ artifact_run_id: null }]);
    const after = (await call(srv(), "GET", `/api/v1/runs/${retrained.id}`)).body;
    expect([after.parentId, after.retrainedFrom]).toEqual([null, null]);
    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}?includeDeleted=true`)).status).toBe(404);
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, points("loss", 1))).status).toBe(404);
    const events = (await call(srv(), "GET", `/api/v1/audit?limit=100&subjectId=${run.id}`)).body.events as any[];
    expect(events.find((e) => e.action === "run.purge")?.after).toMatchObject({ points: 305, series: 2, artifacts: 1 });

    // A soft-deleted run can be purged too.
    const third = await newRun(srv(), project);
    await call(srv(), "DELETE", `/api/v1/runs/${third.id}`);
    expect((await call(srv(), "DELETE", `/api/v1/runs/${third.id}?purge=true`)).status).toBe(200);
    expect((await rowCounts(srv(), third.id)).runs).toBe(0);
  });

  it("a purge racing metric writes leaves no orphaned points: each write either lands before it or answers 404", async () => {
    const project = await newProject(srv());
    const run = await newRun(srv(), project);
    await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, points("loss", 10));
    const batch = (i: number) => ({ points: Array.from({ length: 500 }, (_, j) => ({ key: j % 2 ? "loss" : `k${i % 3}`, value: j, step: 1000 * (i + 1) + j })) });
    const writes = Array.from({ length: 24 }, (_, i) => call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, batch(i)));
    await writes[0]; // the rest are queued or in flight
    const purge = call(srv(), "DELETE", `/api/v1/runs/${run.id}?purge=true`);
    const statuses = (await Promise.all(writes)).map((r) => r.status);
    expect((await purge).status).toBe(200);
    expect(statuses.every((s) => s === 200 || s === 404), JSON.stringify(statuses)).toBe(true);
    expect(await srv().query("select count(*)::int as n from metric_points p where not exists (select 1 from metric_series s where s.id = p.series_id)")).toEqual([{ n: 0 }]);
    expect(await srv().query("select count(*)::int as n from metric_rollups r where not exists (select 1 from metric_series s where s.id = r.series_id)")).toEqual([{ n: 0 }]);
    expect(await rowCounts(srv(), run.id)).toEqual({ runs: 0, series: 0, points: 0, rollups: 0, artifacts: 0, links: 0 });
  });

  it("roles: a reader cannot delete, a writer deletes and restores but cannot purge; projects need admin", async () => {
    const project = await newProject(srv());
    const run = await newRun(srv(), project);
    const reader = await keyFor(srv(), "reader", project);
    const writer = await keyFor(srv(), "writer", project);
    const maintainer = await keyFor(srv(), "maintainer", project);
    expect((await call(reader, "DELETE", `/api/v1/runs/${run.id}`)).status).toBe(403);
    expect((await call(writer, "DELETE", `/api/v1/runs/${run.id}`)).status).toBe(200);
    expect((await call(reader, "POST", `/api/v1/runs/${run.id}/restore`)).status).toBe(403);
    expect((await call(writer, "DELETE", `/api/v1/runs/${run.id}?purge=true`)).status).toBe(403);
    expect((await call(writer, "POST", `/api/v1/runs/${run.id}/restore`)).status).toBe(200);
    expect((await call(maintainer, "DELETE", `/api/v1/projects/${project}`)).status).toBe(403);
    expect((await call(maintainer, "GET", `/api/v1/projects?deleted=only`)).status).toBe(403);
    expect((await call(maintainer, "DELETE", `/api/v1/runs/${run.id}?purge=true`)).status).toBe(200);
    const stranger = await keyFor(srv(), "admin", await newProject(srv()));
    expect((await call(stranger, "DELETE", `/api/v1/projects/${project}`)).status).toBe(404);
  });

  it("project delete hides the project and all its runs; restore brings them back; purge removes everything in bulk", async () => {
    const project = await newProject(srv());
    const { run } = await fullRun(srv(), project);
    const second = await newRun(srv(), project);
    const keep = await newProject(srv());
    const { run: kept } = await fullRun(srv(), keep);
    const keptBefore = await rowCounts(srv(), kept.id);

    const del = await call(srv(), "DELETE", `/api/v1/projects/${project}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ name: project, purged: false });
    expect((await call(srv(), "GET", `/api/v1/projects/${project}`)).status).toBe(404);
    expect((await call(srv(), "GET", `/api/v1/projects/${project}/runs`)).status).toBe(404);
    expect((await call(srv(), "POST", `/api/v1/projects/${project}/runs`, {})).status).toBe(404);
    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}`)).status).toBe(404);
    expect((await call(srv(), "POST", `/api/v1/runs/${second.id}/metrics`, points("x", 1))).status).toBe(404);
    expect((await call(srv(), "POST", `/api/v1/runs/${run.id}/restore`)).status).toBe(404);
    const names = async (q: string) => ((await call(srv(), "GET", `/api/v1/projects?limit=1000${q}`)).body.projects as any[]).map((p) => p.name);
    expect(await names("")).not.toContain(project);
    expect(await names("&deleted=only")).toEqual([project]);
    expect((await call(srv(), "POST", `/api/v1/projects/${project}`, {})).status).toBe(404);

    expect((await call(srv(), "POST", `/api/v1/projects/${project}/restore`)).body).toMatchObject({ name: project, deletedAt: null });
    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}`)).body.metrics.loss.count).toBe(300);
    expect((await call(srv(), "GET", `/api/v1/projects/${project}/runs`)).body.runs).toHaveLength(2);

    const purge = await call(srv(), "DELETE", `/api/v1/projects/${project}?purge=true`);
    expect(purge.status).toBe(200);
    expect(purge.body).toMatchObject({ purged: true, removed: { runs: 2, datasets: 1, points: 305, series: 2, artifacts: 1 } });
    expect(await rowCounts(srv(), run.id)).toEqual({ runs: 0, series: 0, points: 0, rollups: 0, artifacts: 0, links: 0 });
    expect(await srv().query("select 1 from projects where name = $1", [project])).toEqual([]);
    expect(await srv().query("select 1 from datasets d join projects p on p.id = d.project_id where p.name = $1", [project])).toEqual([]);
    expect(await rowCounts(srv(), kept.id)).toEqual(keptBefore);
    expect(await auditOf(srv(), del.body.id)).toEqual(expect.arrayContaining(["project.delete", "project.restore", "project.purge"]));
  });
});

describe.each(testDrivers)("retention (%s)", (driver) => {
  // ~0.9 s of retention: deletions expire within the test.
  const srv = useServer(driver, { CAIRN_DELETED_RETENTION_DAYS: "0.00001" });

  it("purgeExpiredDeletions purges runs and projects deleted longer than the retention ago, audited as the system; restore after it is refused", async () => {
    const { purgeExpiredDeletions } = await import("./purge.service.js");
    const ctx = srv().server()!.ctx;
    const project = await newProject(srv());
    const { run } = await fullRun(srv(), project);
    const live = await newRun(srv(), project);
    const gone = await newProject(srv());
    const goneRun = await newRun(srv(), gone);
    await call(srv(), "DELETE", `/api/v1/runs/${run.id}`);
    await call(srv(), "DELETE", `/api/v1/projects/${gone}`);
    await new Promise((r) => setTimeout(r, 1200));
    const late = await call(srv(), "POST", `/api/v1/runs/${run.id}/restore`);
    expect(late.status).toBe(404);
    expect(late.body.detail).toMatch(/retention/);

    const result = await purgeExpiredDeletions(ctx, "system");
    expect(result.runs).toBeGreaterThanOrEqual(1);
    expect(result.projects).toBeGreaterThanOrEqual(1);
    expect(await rowCounts(srv(), run.id)).toEqual({ runs: 0, series: 0, points: 0, rollups: 0, artifacts: 0, links: 0 });
    expect((await rowCounts(srv(), goneRun.id)).runs).toBe(0);
    expect((await rowCounts(srv(), live.id)).runs).toBe(1);
    const events = (await call(srv(), "GET", `/api/v1/audit?limit=100&subjectId=${run.id}`)).body.events as any[];
    const purge = events.find((e) => e.action === "run.purge");
    expect(purge.actor?.name ?? purge.actorName).toBe("system");
    expect(purge.after).toMatchObject({ points: 305, reason: "retention" });
    expect(await purgeExpiredDeletions(ctx, "system")).toEqual({ runs: 0, projects: 0 });
  });
});
