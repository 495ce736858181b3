import { describe, expect, it } from "vitest";
import { testDrivers } from "../testing.js";
import { call, newProject, newRun, useReplica, useServer } from "../../test/support.js";

const points = (key: string, from: number, n: number) => ({ points: Array.from({ length: n }, (_, i) => ({ key, value: i, step: from + i })) });

/** Two replicas on one PostgreSQL database: a deletion made through one is honoured by the other, whose run cache still knows the run. */
describe.skipIf(!testDrivers.includes("postgres"))("deletion across replicas (postgres)", () => {
  const a = useServer("postgres");
  const replica = useReplica(a);
  const b = () => ({ url: replica().url, apiKey: a().apiKey });

  it("writes through a replica that cached the run are refused at once after a delete elsewhere; a purge leaves no orphaned points", async () => {
    const project = await newProject(a());
    const run = await newRun(a(), project);
    // Replica B learns the run (owner and series ids cached).
    expect((await call(b(), "POST", `/api/v1/runs/${run.id}/metrics`, points("loss", 0, 10))).status).toBe(200);
    expect((await call(b(), "GET", `/api/v1/runs/${run.id}`)).status).toBe(200);

    expect((await call(a(), "DELETE", `/api/v1/runs/${run.id}`)).status).toBe(200);
    expect((await call(b(), "POST", `/api/v1/runs/${run.id}/metrics`, points("loss", 10, 10))).status).toBe(404);
    expect((await call(b(), "POST", `/api/v1/runs/${run.id}/metrics`, points("new-key", 0, 1))).status).toBe(404);
    expect((await call(b(), "POST", `/api/v1/runs/${run.id}/params`, { params: { x: 1 } })).status).toBe(404);
    expect((await call(b(), "PATCH", `/api/v1/runs/${run.id}`, { tags: { x: "y" } })).status).toBe(404);
    expect((await call(b(), "POST", `/api/v1/runs/${run.id}/heartbeat`)).status).toBe(404);
    expect((await call(b(), "GET", `/api/v1/runs/${run.id}`)).status).toBe(404);
    const [{ n }] = (await a().query<{ n: number }>("select count(*)::int as n from metric_points p join metric_series s on s.id = p.series_id where s.run_id = $1", [run.id])) as [{ n: number }];
    expect(n).toBe(10);

    // Restored elsewhere: B writes again.
    expect((await call(a(), "POST", `/api/v1/runs/${run.id}/restore`)).status).toBe(200);
    expect((await call(b(), "POST", `/api/v1/runs/${run.id}/metrics`, points("loss", 10, 10))).status).toBe(200);

    // Purged elsewhere: B's cached series ids lead nowhere, and nothing is written without its series.
    expect((await call(a(), "DELETE", `/api/v1/runs/${run.id}?purge=true`)).body.removed.points).toBe(20);
    expect((await call(b(), "POST", `/api/v1/runs/${run.id}/metrics`, points("loss", 20, 10))).status).toBe(404);
    const orphans = await a().query<{ n: number }>("select count(*)::int as n from metric_points p where not exists (select 1 from metric_series s where s.id = p.series_id)");
    expect(orphans).toEqual([{ n: 0 }]);
  });

  it("reads through the other replica stop within the cache re-check time; a deleted project hides its runs there too", async () => {
    const project = await newProject(a());
    const run = await newRun(a(), project);
    await call(b(), "POST", `/api/v1/runs/${run.id}/metrics`, points("loss", 0, 3));
    expect((await call(b(), "GET", `/api/v1/runs/${run.id}/metrics/loss`)).status).toBe(200);
    expect((await call(a(), "DELETE", `/api/v1/projects/${project}`)).status).toBe(200);
    expect((await call(b(), "POST", `/api/v1/runs/${run.id}/metrics`, points("loss", 3, 1))).status).toBe(404);
    expect((await call(b(), "GET", `/api/v1/projects/${project}/runs`)).status).toBe(404);
    await new Promise((r) => setTimeout(r, 5_200)); // RUN_OWNER_TTL_MS
    expect((await call(b(), "GET", `/api/v1/runs/${run.id}/metrics/loss`)).status).toBe(404);
  }, 20_000);
});
