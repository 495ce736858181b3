import { GateEvaluation, ModelAlias, Problem, PromoteResult } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { call, newProject, useServer } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { ISSUE_POLICY, keyFor, modelSetup, SIGNATURE } from "./gate.testutil.js";

describe.each(testDrivers)("the promotion gate (%s)", (driver) => {
  const srv = useServer(driver);

  it("refuses a version that fails the issue's policy, naming each rule, and moves nothing", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const m = await modelSetup(admin, project);
    const writer = await keyFor(admin, project, "writer");
    const v1 = await m.register();
    expect((await call(writer, "PUT", `${m.url}/policy`, ISSUE_POLICY)).status).toBe(201);
    await m.checks(v1, { accuracy: 0.93 });
    const first = await call(writer, "PUT", m.alias("production"), { version: v1, reason: "first model" });
    expect(first.status, JSON.stringify(first.body)).toBe(200);

    // v2: worse accuracy, biased, drifting, a failing behaviour case and a breaking signature.
    const v2 = await m.register({ signature: { ...SIGNATURE, inputs: [...SIGNATURE.inputs, { name: "income", type: "numerical", nullable: false }] } });
    const ids = await m.checks(v2, { accuracy: 0.87, ratio: 0.7, drifted: 0.5, behaviour: false });
    const refused = await call(writer, "PUT", m.alias("production"), { version: v2, reason: "try v2" });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.body.code).toBe("gate_failed");
    expect(refused.body.errors).toEqual([
      { path: "rules[0]", message: `observed 0.87 < bound 0.9 (evidence check ${ids.performance})` },
      { path: "rules[1]", message: expect.stringContaining(`observed 0.87 < bound 0.92 (production v1: 0.93 − 0.01; evidence check ${ids.performance}`) },
      { path: "rules[2]", message: `observed 0.7 < bound 0.8 (evidence check ${ids.bias})` },
      { path: "rules[3]", message: `observed 0.5 > bound 0.3 (evidence check ${ids.drift})` },
      { path: "rules[4]", message: expect.stringContaining("input income is required but the holder's callers do not send it") },
      { path: "rules[5]", message: `check ${ids.behaviour} has status failed (1 of 2 cases failed)` },
    ]);
    expect(refused.body.detail).toMatch(/^promotion of fraud v2 to production refused: 6 of 7 rules failed: rules\[0\] accuracy on test: observed 0.87/);
    const evaluation = refused.body.evaluation;
    // What the SDK parses: the problem and its evaluation match the contract.
    expect(Problem.safeParse(refused.body).success).toBe(true);
    expect(GateEvaluation.safeParse(evaluation).error).toBeUndefined();
    expect(evaluation).toMatchObject({ alias: "production", version: 2, currentVersion: 1, policyRevision: 1, passed: false, forced: false, mode: "promote", reason: "try v2" });
    expect(evaluation.rules[0]).toMatchObject({ index: 0, passed: false, observed: 0.87, bound: "≥ 0.9", evidence: { kind: "check", id: ids.performance } });
    expect(evaluation.rules[6]).toMatchObject({ passed: true });

    // The alias did not move; the refusal is stored and audited.
    const alias = await call(admin, "GET", m.alias("production"));
    expect(alias.body).toMatchObject({ version: 1, modelVersion: { version: 1 } });
    expect(alias.body.history).toHaveLength(1);
    expect((await call(admin, "GET", `${m.url}/evaluations/${evaluation.id}`)).body).toEqual(evaluation);
    const audit = await call(admin, "GET", `/api/v1/audit?action=gate.refused&project=${project}`);
    expect(audit.body.events).toHaveLength(1);
    expect(audit.body.events[0].after).toMatchObject({ evaluationId: evaluation.id, version: 2, passed: false });
    // The schema comparison is stored as a server check of v2.
    const schemaChecks = (await call(admin, "GET", `${m.url}/versions/2/checks?kind=schema`)).body.checks;
    expect(schemaChecks[0]).toMatchObject({ source: "server", status: "failed", figures: { compatibleWith: "production", holderVersion: 1, missingInputs: ["income"] } });
    expect(evaluation.rules[4].evidence.id).toBe(schemaChecks[0].id);
  });

  it("moves the alias when every rule passes and records from, to, who, why and the evaluation", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const m = await modelSetup(admin, project);
    const writer = await keyFor(admin, project, "writer");
    const v1 = await m.register();
    expect((await call(writer, "PUT", `${m.url}/policy`, ISSUE_POLICY)).status).toBe(201);
    await m.checks(v1, { accuracy: 0.92 });
    const v2 = await m.register();
    await m.checks(v2, { accuracy: 0.915 }); // worse than v1, but within the 0.01 tolerance
    expect((await call(writer, "PUT", m.alias("production"), { version: v1, reason: "first" })).status).toBe(200);
    const promoted = await call(writer, "PUT", m.alias("production"), { version: v2, reason: "retrained on November data" });
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(200);
    const { alias, evaluation } = promoted.body;
    expect(PromoteResult.safeParse(promoted.body).error).toBeUndefined();
    expect(evaluation).toMatchObject({ passed: true, forced: false, version: 2, currentVersion: 1, mode: "promote" });
    expect(evaluation.rules[1].bound).toBe("≥ 0.91 (production v1: 0.92 − 0.01)");
    expect(alias).toMatchObject({ alias: "production", version: 2, modelVersion: { version: 2, aliases: ["production"] } });
    expect(alias.history[0]).toMatchObject({ fromVersion: 1, toVersion: 2, actor: `writer-${project}`, reason: "retrained on November data", evaluationId: evaluation.id, forced: false });
    expect(alias.history[1]).toMatchObject({ fromVersion: null, toVersion: 1 });
    const moves = await call(admin, "GET", `/api/v1/audit?action=alias.move&project=${project}`);
    expect(moves.body.events.map((e: any) => e.after.version)).toEqual(expect.arrayContaining([1, 2]));
    expect(moves.body.events.find((e: any) => e.after.version === 2)).toMatchObject({ before: { alias: "production", version: 1 }, after: { evaluationId: evaluation.id, passed: true } });
    expect((await call(admin, "GET", m.url)).body.aliases).toEqual({ production: 2 });
    expect(ModelAlias.safeParse((await call(admin, "GET", m.alias("production"))).body).error).toBeUndefined();

    // The holder again: evaluated and stored, no empty move.
    const again = await call(writer, "PUT", m.alias("production"), { version: v2 });
    expect(again.status).toBe(200);
    expect(again.body.alias.history).toHaveLength(2);
    expect((await call(admin, "GET", `${m.url}/evaluations?alias=production`)).body.evaluations).toHaveLength(3);
  });

  it("refuses evidence older than checksNewerThan, naming the oldest piece", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const m = await modelSetup(admin, project);
    const v1 = await m.register();
    const ids = await m.checks(v1, { accuracy: 0.95 });
    const policy = { alias: "production", rules: [{ metric: "accuracy", dataset: "test", min: 0.9 }, { check: "bias", field: "demographicParityRatio", min: 0.8 }, { checksNewerThan: "7d" }] };
    expect((await call(admin, "PUT", `${m.url}/policy`, policy)).status).toBe(201);
    expect((await call(admin, "POST", `${m.alias("production")}/evaluate`, { version: v1 })).body.passed).toBe(true);
    // Time passes for the performance check only (the bias check stays fresh).
    await admin.query("update check_results set created_at = now() - interval '8 days 3 hours' where id = $1", [ids.performance]);
    const refused = await call(admin, "PUT", m.alias("production"), { version: v1 });
    expect(refused.status).toBe(409);
    expect(refused.body.errors).toEqual([{ path: "rules[2]", message: expect.stringMatching(new RegExp(`^observed age 8d 3h( \\d+s)? > bound 7d \\(evidence check ${ids.performance}, from 20`)) }]);
    expect(refused.body.evaluation.rules[2]).toMatchObject({ passed: false, observed: expect.stringMatching(/^8d 3h/), evidence: { kind: "check", id: ids.performance } });
  });

  it("compares 'not worse than production' on the candidate's dataset version", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const m = await modelSetup(admin, project);
    const harder = await m.otherTestSet();
    const v1 = await m.register();
    const policy = { alias: "production", rules: [{ metric: "accuracy", dataset: "test", notWorseThan: "production" }] };
    expect((await call(admin, "PUT", `${m.url}/policy`, policy)).status).toBe(201);
    // v1 scored 0.95 on the usual test set but only 0.80 on the harder one, measured later.
    await m.postCheck(v1, { kind: "performance", status: "passed", figures: { accuracy: 0.8 }, datasets: [{ datasetVersionId: harder, role: "test" }] });
    await m.postCheck(v1, { kind: "performance", status: "passed", figures: { accuracy: 0.95 }, datasets: [{ datasetVersionId: m.run.test, role: "test" }] });
    expect((await call(admin, "PUT", m.alias("production"), { version: v1 })).status).toBe(200);
    const v2 = await m.register();
    await m.postCheck(v2, { kind: "performance", status: "passed", figures: { accuracy: 0.85 }, datasets: [{ datasetVersionId: harder, role: "test" }] });
    const ok = await call(admin, "PUT", m.alias("production"), { version: v2 });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.evaluation.rules[0].bound).toBe("≥ 0.8 (production v1: 0.8 − 0)");

    // v3 measured on a test set production's v2 was never measured on: nothing to compare with.
    const third = await m.otherTestSet("third");
    const v3 = await m.register();
    await m.postCheck(v3, { kind: "performance", status: "passed", figures: { accuracy: 0.99 }, datasets: [{ datasetVersionId: third, role: "test" }] });
    const refused = await call(admin, "PUT", m.alias("production"), { version: v3 });
    expect(refused.status).toBe(409);
    expect(refused.body.errors).toEqual([{ path: "rules[0]", message: "no evidence for production v2 on dataset test-set v3" }]);
  });
});
