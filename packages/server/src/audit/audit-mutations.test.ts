import { describe, expect, it } from "vitest";
import { testDrivers } from "../testing.js";
import { call, newProject, useServer } from "../../test/support.js";

/** Every kind of mutation leaves exactly one event, with the right actor and the change. */
describe.each(testDrivers)("audit events of mutations (%s)", (driver) => {
  const srv = useServer(driver);
  const eventsOf = async (query: string) => (await call(srv(), "GET", `/api/v1/audit?limit=1000&${query}`)).body.events as any[];

  it("records each mutation once, with actor, subject and diff; never a secret", async () => {
    const me = (await call(srv(), "GET", "/api/v1/whoami")).body;
    const project = await newProject(srv());
    const p = (await call(srv(), "GET", `/api/v1/projects/${project}`)).body;
    const [created] = await eventsOf(`action=project.create&subjectId=${p.id}`);
    expect(created).toMatchObject({ actor: { keyId: me.keyId, name: "bootstrap admin" }, projectId: p.id, after: { name: project } });
    expect(created.requestId).toBeTruthy();

    const run = (await call(srv(), "POST", `/api/v1/projects/${project}/runs`, { name: "r", params: { lr: 0.1 } })).body;
    await call(srv(), "POST", `/api/v1/projects/${project}/runs`, { id: run.id }); // idempotent re-create: not a change
    expect(await eventsOf(`action=run.create&subjectId=${run.id}`)).toHaveLength(1);

    await call(srv(), "PATCH", `/api/v1/runs/${run.id}`, { notes: "n1", tags: { a: "b" } });
    const [update] = await eventsOf(`action=run.update&subjectId=${run.id}`);
    expect(update.before).toEqual({ notes: "", tags: {} });
    expect(update.after).toEqual({ notes: "n1", tags: { a: "b" } });

    await call(srv(), "POST", `/api/v1/runs/${run.id}/params`, { params: { epochs: 3 } });
    await call(srv(), "POST", `/api/v1/runs/${run.id}/params`, { params: { epochs: 3 } }); // no-op
    await call(srv(), "POST", `/api/v1/runs/${run.id}/params`, { params: { epochs: 4 } }); // 409: nothing changes
    const params = await eventsOf(`action=run.params&subjectId=${run.id}`);
    expect(params.map((e) => e.after)).toEqual([{ epochs: 3 }]);

    const batch = { points: [{ key: "loss", value: 1, step: 0 }, { key: "loss", value: 0.5, step: 1 }] };
    await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, batch);
    await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, batch);
    const logs = await eventsOf(`action=metrics.log&subjectId=${run.id}`);
    expect(logs.map((e) => e.after).sort((a, b) => b.written - a.written)).toEqual([{ points: 2, written: 2 }, { points: 2, written: 0 }]);

    const key = (await call(srv(), "POST", "/api/v1/keys", { name: "ci", role: "reader", projects: [project] })).body;
    await call(srv(), "DELETE", `/api/v1/keys/${key.id}`);
    const keyEvents = await eventsOf(`subjectKind=key&subjectId=${key.id}`);
    expect(keyEvents.map((e) => e.action).sort()).toEqual(["key.create", "key.revoke"]);
    expect(JSON.stringify(keyEvents)).not.toContain(key.secret);

    await call({ url: srv().url }, "GET", `/api/v1/runs/${run.id}`);
    const denied = (await eventsOf("action=auth.denied")).find((e) => e.subject.id === `GET /api/v1/runs/${run.id}`);
    expect(denied).toMatchObject({ actor: { keyId: null, name: "anonymous" }, after: { status: 401 } });

    const verify = await call(srv(), "GET", "/api/v1/audit/verify");
    expect(verify.body).toMatchObject({ ok: true });
  });

  it("keeps one unforked chain under 1,000 concurrent mutations from 8 clients", async () => {
    const project = await newProject(srv());
    const runs = await Promise.all(
      Array.from({ length: 8 }, async (_, w) => (await call(srv(), "POST", `/api/v1/projects/${project}/runs`, { name: `w${w}` })).body.id as string),
    );
    const before = (await call(srv(), "GET", "/api/v1/audit/verify")).body.checked as number;
    await Promise.all(
      runs.map(async (runId, w) => {
        for (let i = 0; i < 125; i++) {
          const r =
            i % 3 === 0
              ? await call(srv(), "PATCH", `/api/v1/runs/${runId}`, { notes: `w${w}-${i}` })
              : i % 3 === 1
                ? await call(srv(), "POST", `/api/v1/runs/${runId}/params`, { params: { [`p${i}`]: i } })
                : await call(srv(), "POST", `/api/v1/runs/${runId}/metrics`, { points: [{ key: "m", value: i, step: i }] });
          expect(r.status).toBe(200);
        }
      }),
    );
    const verify = (await call(srv(), "GET", "/api/v1/audit/verify")).body;
    expect(verify.ok).toBe(true);
    expect(verify.checked - before).toBeGreaterThanOrEqual(1000);
  }, 120_000);
});
