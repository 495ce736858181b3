import { describe, expect, it } from "vitest";
import { call, newProject, newRun, useServer } from "../../test/support.js";
import { putFile } from "../models/models.testutil.js";
import { testDrivers } from "../testing.js";

/** The listing's summary of each project: run counts, last activity and production models. */
describe.each(testDrivers)("project listing summary (%s)", (driver) => {
  const srv = useServer(driver);

  async function listed(name: string) {
    const r = await call(srv(), "GET", `/api/v1/projects?limit=1000`);
    expect(r.status).toBe(200);
    return r.body.projects.find((p: { name: string }) => p.name === name);
  }

  async function register(project: string, model: string, runId: string, file: string) {
    await putFile(srv(), runId, file, `weights of ${model} ${file}`);
    const v = await call(srv(), "POST", `/api/v1/projects/${project}/models/${model}/versions`, { runId, artifactPath: file });
    expect(v.status, JSON.stringify(v.body)).toBe(201);
    return v.body.version as number;
  }

  it("a project without runs has zero runs, no activity and no production models", async () => {
    const name = await newProject(srv());
    expect(await listed(name)).toMatchObject({ name, runCount: 0, lastActivityAt: null, productionModels: [] });
  });

  it("counts live runs, takes the latest start/heartbeat/end and lists only models with a production alias", async () => {
    const project = await newProject(srv());
    const other = await newProject(srv());
    const day = 86_400_000;
    const old = Date.UTC(2020, 0, 1);
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(await newRun(srv(), project, { name: `r${i}`, startedAt: old + i * day }));
    await newRun(srv(), other, { name: "elsewhere" });
    // Activity is the latest start, heartbeat or end of a live run (here the creation heartbeats, not the 2020 starts).
    const ended = await call(srv(), "PATCH", `/api/v1/runs/${runs[0].id}`, { status: "finished", endedAt: old + 30 * day });
    expect(ended.status).toBe(200);
    // A deleted run counts neither in the runs nor in the activity.
    expect((await call(srv(), "DELETE", `/api/v1/runs/${runs[3].id}`)).status).toBe(200);

    const fraud1 = await register(project, "fraud", runs[1].id, "fraud-1.bin");
    const fraud2 = await register(project, "fraud", runs[1].id, "fraud-2.bin");
    await register(project, "churn", runs[2].id, "churn.bin");
    const ranker = await register(project, "ranker", runs[2].id, "ranker.bin");
    expect([fraud1, fraud2, ranker]).toEqual([1, 2, 1]);
    expect((await call(srv(), "PUT", `/api/v1/projects/${project}/models/fraud/aliases/production`, { version: fraud2 })).status).toBe(200);
    expect((await call(srv(), "PUT", `/api/v1/projects/${project}/models/ranker/aliases/production`, { version: ranker })).status).toBe(200);
    // churn only has a staging alias: not in production.
    expect((await call(srv(), "PUT", `/api/v1/projects/${project}/models/churn/aliases/staging`, { version: 1 })).status).toBe(200);

    const summary = await listed(project);
    expect(summary.runCount).toBe(3);
    const heartbeats = await Promise.all(runs.slice(0, 3).map(async (r) => (await call(srv(), "GET", `/api/v1/runs/${r.id}`)).body));
    const latest = Math.max(...heartbeats.flatMap((r) => [r.startedAt, r.heartbeatAt, r.endedAt].filter(Boolean).map((t: string) => Date.parse(t))));
    expect(Date.parse(summary.lastActivityAt)).toBe(latest);
    expect(summary.productionModels).toEqual([
      { name: "fraud", version: 2 },
      { name: "ranker", version: 1 },
    ]);

    const elsewhere = await listed(other);
    expect(elsewhere).toMatchObject({ runCount: 1, productionModels: [] });
    expect(Date.parse(elsewhere.lastActivityAt)).toBeGreaterThan(Date.now() - 60_000);

    // Moving the alias shows the new version; removing it takes the model off the list.
    expect((await call(srv(), "PUT", `/api/v1/projects/${project}/models/fraud/aliases/production`, { version: fraud1 })).status).toBe(200);
    expect((await call(srv(), "DELETE", `/api/v1/projects/${project}/models/ranker/aliases/production`)).status).toBeLessThan(300);
    expect((await listed(project)).productionModels).toEqual([{ name: "fraud", version: 1 }]);
  });
});
