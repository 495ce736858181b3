import { describe, expect, it } from "vitest";
import { call, newProject, useServer } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { ISSUE_POLICY, keyFor, modelSetup } from "./gate.testutil.js";

describe.each(testDrivers)("promotion policies and aliases (%s)", (driver) => {
  const srv = useServer(driver);

  it("stores each change as a revision, audits it, and lists the one in force or the history", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const m = await modelSetup(admin, project);
    await m.register();
    const writer = await keyFor(admin, project, "writer");
    const first = await call(writer, "PUT", `${m.url}/policy`, ISSUE_POLICY);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ alias: "production", revision: 1, createdBy: `writer-${project}` });
    expect(first.body.rules[1]).toEqual({ metric: "accuracy", dataset: "test", notWorseThan: "production", tolerance: 0.01 });
    expect((await call(writer, "PUT", `${m.url}/policy`, ISSUE_POLICY)).status).toBe(200); // same rules: no new revision
    const loose = { alias: "production", rules: [{ metric: "accuracy", dataset: "test", min: 0.5 }] };
    expect((await call(writer, "PUT", `${m.url}/policy`, loose)).body.revision).toBe(2);
    expect((await call(writer, "PUT", `${m.url}/policy`, { alias: "staging", rules: [] })).body.revision).toBe(1);

    const current = await call(admin, "GET", `${m.url}/policy`);
    expect(current.status, JSON.stringify(current.body)).toBe(200);
    expect(current.body.policies.map((p: any) => [p.alias, p.revision])).toEqual([["production", 2], ["staging", 1]]);
    const one = await call(admin, "GET", `${m.url}/policy?alias=production&history=true`);
    expect(one.body.policies.map((p: any) => p.revision)).toEqual([2, 1]);
    expect(one.body.policies[1].rules).toHaveLength(7);

    const audit = await call(admin, "GET", `/api/v1/audit?action=policy.set&project=${project}`);
    expect(audit.body.events).toHaveLength(3);
    const change = audit.body.events.find((e: any) => e.after.revision === 2 && e.after.alias === "production");
    expect(change.before.rules).toHaveLength(7);
    expect(change.after.rules).toEqual([{ metric: "accuracy", dataset: "test", min: 0.5 }]);

    const reader = await keyFor(admin, project, "reader");
    expect((await call(reader, "PUT", `${m.url}/policy`, loose)).status).toBe(403);
    expect((await call(reader, "GET", `${m.url}/policy`)).status).toBe(200);
  });

  it("rejects a policy that does not validate with a 400 naming the rule's field, storing nothing", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const m = await modelSetup(admin, project);
    await m.register();
    const cases: Array<[unknown, string[]]> = [
      [{ alias: "production", rules: [{ metric: "accuracy", dataset: "test", min: 0.9 }, { checksNewerThan: "7d" }, { metric: "accuracy", dataset: "test", min: "0.9" }] }, ["rules[2].min"]],
      [{ alias: "production", rules: [{ metric: "accuracy", dataset: "test" }] }, ["rules[0].min"]],
      [{ alias: "production", rules: [{ check: "drift", field: "driftedShare", min: 0.4, max: 0.3 }] }, ["rules[0].max"]],
      [{ alias: "production", rules: [{ checksNewerThan: "soon" }] }, ["rules[0].checksNewerThan"]],
      [{ alias: "production", rules: [{ check: "bias" }] }, ["rules[0]"]],
      [{ alias: "Prod!", rules: [] }, ["alias"]],
      [{ alias: "production", rules: [], extra: 1 }, ["(root)"]],
    ];
    for (const [body, paths] of cases) {
      const r = await call(admin, "PUT", `${m.url}/policy`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errors.map((e: any) => e.path), JSON.stringify(r.body)).toEqual(paths);
    }
    expect((await call(admin, "GET", `${m.url}/policy?history=true`)).body.policies).toEqual([]);
  });

  it("removes an alias with a history entry to null, and lists every alias", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const m = await modelSetup(admin, project);
    const v1 = await m.register();
    const writer = await keyFor(admin, project, "writer");
    expect((await call(writer, "PUT", m.alias("staging"), { version: v1, reason: "try it" })).status).toBe(200);
    expect((await call(writer, "PUT", `${m.url}/policy`, { alias: "production", rules: [] })).status).toBe(201);
    const removed = await call(writer, "DELETE", `${m.alias("staging")}?reason=${encodeURIComponent("rolled back")}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body).toMatchObject({ alias: "staging", version: null, modelVersion: null });
    expect(removed.body.history.map((h: any) => [h.fromVersion, h.toVersion, h.reason, h.evaluationId === null])).toEqual([
      [1, null, "rolled back", true],
      [null, 1, "try it", false],
    ]);
    expect((await call(writer, "DELETE", m.alias("staging"))).status).toBe(404); // points nowhere already
    const audit = await call(admin, "GET", `/api/v1/audit?action=alias.remove&project=${project}`);
    expect(audit.body.events[0]).toMatchObject({ before: { alias: "staging", version: 1 }, after: { version: null, reason: "rolled back" } });
    const all = await call(admin, "GET", `${m.url}/aliases`);
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.aliases.map((a: any) => [a.alias, a.version, a.history.length])).toEqual([["production", null, 0], ["staging", null, 2]]);
    expect((await call(admin, "GET", m.alias("production"))).body).toMatchObject({ version: null, history: [] });
    expect((await call(admin, "GET", `${m.url}/versions/${v1}`)).body.aliases).toEqual([]);
  });
});
