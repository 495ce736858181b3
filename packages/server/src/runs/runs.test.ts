import { uuidv7 } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { testDrivers } from "../testing.js";
import { call, newProject, newRun, useServer } from "../../test/support.js";

describe.each(testDrivers)("runs (%s)", (driver) => {
  const srv = useServer(driver, { CAIRN_RUN_HEARTBEAT_TIMEOUT_SECONDS: "1", CAIRN_RUN_SWEEP_INTERVAL_SECONDS: "0.2" });

  it("creates a run idempotently from a client id: a retried create returns the same run", async () => {
    const project = await newProject(srv());
    const id = uuidv7();
    const first = await call(srv(), "POST", `/api/v1/projects/${project}/runs`, { id, name: "a", params: { lr: 0.1 }, tags: { team: "fraud" } });
    expect(first.status).toBe(201);
    const again = await call(srv(), "POST", `/api/v1/projects/${project}/runs`, { id, name: "a", params: { lr: 0.1 }, tags: { team: "fraud" } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(id);
    expect(again.body.params).toEqual({ lr: 0.1 });
    const [{ n }] = (await srv().query<{ n: number }>("select count(*)::int as n from runs where id = $1", [id])) as [{ n: number }];
    expect(n).toBe(1);

    const other = await newProject(srv());
    const clash = await call(srv(), "POST", `/api/v1/projects/${other}/runs`, { id });
    expect(clash.status).toBe(409);
    expect(clash.body.errors[0].path).toBe("id");
  });

  it("rejects a non-v7 id, an unknown parent and unknown fields, naming the field", async () => {
    const project = await newProject(srv());
    const bad = await call(srv(), "POST", `/api/v1/projects/${project}/runs`, { id: "not-a-uuid" });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe("id");
    const parent = await call(srv(), "POST", `/api/v1/projects/${project}/runs`, { parentId: uuidv7() });
    expect(parent.status).toBe(400);
    expect(parent.body.errors[0].path).toBe("parentId");
    expect((await call(srv(), "POST", `/api/v1/projects/${project}/runs`, { colour: "red" })).status).toBe(400);
    expect((await call(srv(), "POST", `/api/v1/projects/nope/runs`, {})).status).toBe(404);
  });

  it("nests runs under a parent of the same project", async () => {
    const project = await newProject(srv());
    const parent = await newRun(srv(), project, { name: "sweep" });
    const child = await newRun(srv(), project, { name: "trial-1", parentId: parent.id });
    expect(child.parentId).toBe(parent.id);
    const search = await call(srv(), "GET", `/api/v1/projects/${project}/runs?filter=${encodeURIComponent(`parent = "${parent.id}"`)}`);
    expect(search.body.runs.map((r: { id: string }) => r.id)).toEqual([child.id]);
  });

  it("moves through the status lifecycle and stamps the end time", async () => {
    const project = await newProject(srv());
    const run = await newRun(srv(), project);
    expect(run.status).toBe("running");
    expect(run.endedAt).toBeNull();
    const done = await call(srv(), "PATCH", `/api/v1/runs/${run.id}`, { status: "finished", notes: "converged" });
    expect(done.body).toMatchObject({ status: "finished", notes: "converged" });
    expect(Date.parse(done.body.endedAt)).toBeGreaterThanOrEqual(Date.parse(run.startedAt));
    const crashed = await call(srv(), "PATCH", `/api/v1/runs/${run.id}`, { status: "crashed" });
    expect(crashed.status).toBe(400);
    expect(crashed.body.errors[0].path).toBe("status");
    const resumed = await call(srv(), "PATCH", `/api/v1/runs/${run.id}`, { status: "running" });
    expect(resumed.body).toMatchObject({ status: "running", endedAt: null });
  });

  it("merges tag updates and removes a tag with null", async () => {
    const project = await newProject(srv());
    const run = await newRun(srv(), project, { tags: { team: "fraud", stage: "dev" } });
    const r = await call(srv(), "PATCH", `/api/v1/runs/${run.id}`, { tags: { stage: null, owner: "ana" } });
    expect(r.body.tags).toEqual({ team: "fraud", owner: "ana" });
    const bad = await call(srv(), "PATCH", `/api/v1/runs/${run.id}`, { tags: { "bad\u0000key": "x" } });
    expect(bad.status).toBe(400);
    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}`)).body.tags).toEqual({ team: "fraud", owner: "ana" });
  });

  it("keeps params immutable: same value is a no-op, a different one is 409 naming the key, and nothing is written", async () => {
    const project = await newProject(srv());
    const run = await newRun(srv(), project, { params: { lr: 0.1, optimizer: "adam" } });
    const same = await call(srv(), "POST", `/api/v1/runs/${run.id}/params`, { params: { lr: 0.1, epochs: 50 } });
    expect(same.status).toBe(200);
    expect(same.body.params).toEqual({ lr: 0.1, optimizer: "adam", epochs: 50 });
    const conflict = await call(srv(), "POST", `/api/v1/runs/${run.id}/params`, { params: { lr: 0.2, batch: 32 } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.errors).toEqual([{ path: "params.lr", message: "already set to 0.1" }]);
    const typeChange = await call(srv(), "POST", `/api/v1/runs/${run.id}/params`, { params: { lr: "0.1" } });
    expect(typeChange.status).toBe(409);
    expect((await call(srv(), "GET", `/api/v1/runs/${run.id}/params`)).body.params).toEqual({ lr: 0.1, optimizer: "adam", epochs: 50 });
    const badValue = await call(srv(), "POST", `/api/v1/runs/${run.id}/params`, { params: { nested: { a: 1 } } });
    expect(badValue.status).toBe(400);
    expect(badValue.body.errors[0].path).toBe("params.nested");
  });

  it("404s unknown and malformed run ids", async () => {
    for (const id of [uuidv7(), "xyz", "1' or '1'='1"]) {
      const r = await call(srv(), "GET", `/api/v1/runs/${encodeURIComponent(id)}`);
      expect(r.status, id).toBe(404);
      expect(r.body.code).toBe("not_found");
    }
    expect((await call(srv(), "POST", `/api/v1/runs/${uuidv7()}/params`, { params: { a: 1 } })).status).toBe(404);
    expect((await call(srv(), "PATCH", `/api/v1/runs/${uuidv7()}`, { name: "x" })).status).toBe(404);
  });

  it("marks a run without heartbeat as crashed, and a heartbeat brings it back", async () => {
    const project = await newProject(srv());
    const run = await newRun(srv(), project);
    const beat = await call(srv(), "POST", `/api/v1/runs/${run.id}/heartbeat`);
    expect(beat.body.status).toBe("running");
    await expect.poll(async () => (await call(srv(), "GET", `/api/v1/runs/${run.id}`)).body.status, { timeout: 10_000, interval: 200 }).toBe("crashed");
    const finishedRun = await newRun(srv(), project);
    await call(srv(), "PATCH", `/api/v1/runs/${finishedRun.id}`, { status: "finished" });
    const back = await call(srv(), "POST", `/api/v1/runs/${run.id}/heartbeat`);
    expect(back.body.status).toBe("running");
    const quiet = await newRun(srv(), project);
    await expect.poll(async () => (await call(srv(), "GET", `/api/v1/runs/${quiet.id}`)).body.status, { timeout: 10_000, interval: 200 }).toBe("crashed");
    await call(srv(), "POST", `/api/v1/runs/${quiet.id}/metrics`, { points: [{ key: "loss", value: 1, step: 0 }] });
    expect((await call(srv(), "GET", `/api/v1/runs/${quiet.id}`)).body.status).toBe("running"); // logging is a sign of life
    const revived = (await call(srv(), "GET", `/api/v1/audit?subjectId=${quiet.id}&action=run.update&limit=10`)).body.events;
    expect(revived.map((e: { actor: { name: string }; after: unknown }) => [e.actor.name, e.after])).toEqual([
      ["bootstrap admin", { status: "running" }],
      ["system", { status: "crashed" }],
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await call(srv(), "GET", `/api/v1/runs/${finishedRun.id}`)).body.status).toBe("finished");
  });
});
