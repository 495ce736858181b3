import { describe, expect, it } from "vitest";
import { call, newProject, useServer } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { keyFor, modelSetup } from "./gate.testutil.js";

const STRICT = { alias: "production", rules: [{ metric: "accuracy", dataset: "test", min: 0.99 }] };

describe.each(testDrivers)("overrides and dry runs (%s)", (driver) => {
  const srv = useServer(driver);

  it("lets only an admin force a refused promotion, with a reason, and records the override", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const m = await modelSetup(admin, project);
    const v1 = await m.register();
    await m.checks(v1, { accuracy: 0.9 });
    expect((await call(admin, "PUT", `${m.url}/policy`, STRICT)).status).toBe(201);
    const writer = await keyFor(admin, project, "writer");
    const projectAdmin = await keyFor(admin, project, "admin");
    const countEvaluations = async () => (await call(admin, "GET", `${m.url}/evaluations`)).body.evaluations.length;

    const byWriter = await call(writer, "PUT", m.alias("production"), { version: v1, reason: "hotfix", force: true });
    expect(byWriter.status).toBe(403);
    expect(byWriter.body.code).toBe("forbidden");
    for (const reason of [undefined, "", "   "]) {
      const noReason = await call(projectAdmin, "PUT", m.alias("production"), { version: v1, force: true, ...(reason === undefined ? {} : { reason }) });
      expect(noReason.status).toBe(400);
      expect(noReason.body.errors.map((e: any) => e.path)).toEqual(["reason"]);
    }
    expect(await countEvaluations()).toBe(0); // refused before anything was evaluated or stored

    const forced = await call(projectAdmin, "PUT", m.alias("production"), { version: v1, reason: "incident 42: roll forward", force: true });
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    expect(forced.body.evaluation).toMatchObject({ passed: false, forced: true, reason: "incident 42: roll forward" });
    expect(forced.body.alias).toMatchObject({ version: 1, history: [{ toVersion: 1, forced: true, reason: "incident 42: roll forward", evaluationId: forced.body.evaluation.id }] });
    const audit = await call(admin, "GET", `/api/v1/audit?action=alias.override&project=${project}`);
    expect(audit.body.events).toHaveLength(1);
    expect(audit.body.events[0].after).toMatchObject({ forced: true, failedRules: [{ index: 0, observed: 0.9, bound: "≥ 0.99" }] });

    // Force on a passing evaluation is an ordinary move, not an override.
    expect((await call(admin, "PUT", `${m.url}/policy`, { alias: "production", rules: [] })).status).toBe(201);
    const v2 = await m.register();
    const plain = await call(projectAdmin, "PUT", m.alias("production"), { version: v2, reason: "policy lifted", force: true });
    expect(plain.body.evaluation).toMatchObject({ passed: true, forced: false, policyRevision: 2, rules: [] });
    expect(plain.body.alias.history[0]).toMatchObject({ fromVersion: 1, toVersion: 2, forced: false });
  });

  it("evaluates a dry run, stores it, and moves nothing", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const m = await modelSetup(admin, project);
    const v1 = await m.register();
    await m.checks(v1, { accuracy: 0.995 });
    const v2 = await m.register();
    await m.checks(v2, { accuracy: 0.5 });
    await call(admin, "PUT", `${m.url}/policy`, STRICT);
    const writer = await keyFor(admin, project, "writer");
    const dry = await call(writer, "POST", `${m.alias("production")}/evaluate`, { version: v1 });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(dry.body).toMatchObject({ mode: "dry_run", passed: true, version: 1, currentVersion: null, actor: `writer-${project}` });
    const failing = await call(writer, "POST", `${m.alias("production")}/evaluate`, { version: v2 });
    expect(failing.body).toMatchObject({ mode: "dry_run", passed: false });
    expect((await call(admin, "GET", m.alias("production"))).body).toMatchObject({ version: null, history: [] });
    const list = await call(admin, "GET", `${m.url}/evaluations?alias=production&limit=1`);
    expect(list.body.evaluations.map((e: any) => e.id)).toEqual([failing.body.id]);
    const next = await call(admin, "GET", `${m.url}/evaluations?alias=production&limit=1&cursor=${list.body.nextCursor}`);
    expect(next.body).toEqual({ evaluations: [dry.body], nextCursor: null });
    const audit = await call(admin, "GET", `/api/v1/audit?action=gate.evaluate&project=${project}`);
    expect(audit.body.events).toHaveLength(2);
    const reader = await keyFor(admin, project, "reader");
    expect((await call(reader, "POST", `${m.alias("production")}/evaluate`, { version: v1 })).status).toBe(403);
    expect((await call(reader, "GET", `${m.url}/evaluations/${dry.body.id}`)).body).toEqual(dry.body);
  });

  it("refuses an archived version with 409 and unknown models, versions, aliases and evaluations with 404", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const m = await modelSetup(admin, project);
    const v1 = await m.register();
    const url = `/api/v1/projects/${project}/models`;
    expect((await call(admin, "PATCH", `${m.url}/versions/${v1}`, { archived: true })).status).toBe(200);
    const archived = await call(admin, "PUT", m.alias("production"), { version: v1 });
    expect(archived.status).toBe(409);
    expect(archived.body).toMatchObject({ code: "conflict", errors: [{ path: "version" }] });
    for (const [method, path, body] of [
      ["PUT", `${url}/nope/aliases/production`, { version: 1 }],
      ["PUT", m.alias("production"), { version: 99 }],
      ["POST", `${m.alias("production")}/evaluate`, { version: 99 }],
      ["GET", m.alias("staging"), undefined],
      ["DELETE", m.alias("staging"), undefined],
      ["GET", `${url}/nope/aliases`, undefined],
      ["GET", `${url}/nope/policy`, undefined],
      ["PUT", `${url}/nope/policy`, { alias: "production", rules: [] }],
      ["GET", `${m.url}/evaluations/0190a000-0000-7000-8000-000000000001`, undefined],
      ["GET", `${m.url}/evaluations/not-an-id`, undefined],
    ] as const) {
      const r = await call(admin, method, path, body);
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(404);
    }
    expect((await call(admin, "GET", `${m.url}/evaluations`)).body.evaluations).toEqual([]);
    expect((await call(admin, "PUT", `${url}/fraud/aliases/Production`, { version: 1 })).body.errors[0].path).toBe("path.alias");
  });
});
