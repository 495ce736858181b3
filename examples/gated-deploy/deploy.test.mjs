import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Cairn } from "@cairn/sdk";
import { startTestServer, testDrivers } from "@cairn/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./deploy.mjs";

const here = path.dirname(new URL(import.meta.url).pathname);

// The example as a user runs it, against a real server: the gate must promote the full
// model, refuse the mass-only one for the reasons the policy states, and leave the whole
// story in the record (checks, evaluations, the alias history) for an auditor.
describe.each(testDrivers)("examples/gated-deploy (%s)", (driver) => {
  let srv;
  let cacheDir;
  let result;
  let client;
  beforeAll(async () => {
    srv = await startTestServer({ driver });
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-gated-deploy-"));
    Object.assign(process.env, { CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey, CAIRN_CACHE_DIR: cacheDir });
    result = await main(["--project", "penguins-gate-test"]);
    client = new Cairn({ url: srv.url, apiKey: srv.apiKey, project: "penguins-gate-test" });
  }, 60_000);
  afterAll(async () => {
    for (const k of ["CAIRN_URL", "CAIRN_API_KEY", "CAIRN_CACHE_DIR"]) delete process.env[k];
    await srv?.close();
    if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it("promotes the full model and refuses the mass-only one", () => {
    expect(result.asDesigned).toBe(true);
    expect(result.outcomes.map((o) => [o.design, o.version, o.promoted])).toEqual([
      ["full", 1, true],
      ["mass-only", 2, false],
    ]);
  });

  it("points production at the full version, moved once, by the passing evaluation", async () => {
    const [full] = result.outcomes;
    const alias = await client.models.alias("penguin-sex", "production");
    expect(alias.version).toBe(1);
    expect(alias.history).toHaveLength(1);
    expect(alias.history[0]).toMatchObject({ fromVersion: null, toVersion: 1, evaluationId: full.evaluation.id, forced: false });
    expect(alias.history[0].reason).toContain("full model");
    const model = await client.models.get("penguin-sex");
    expect(model.aliases).toEqual({ production: 1 });
  });

  it("stores the refusal with the rules the mass-only model failed, each with its observed value and bound", async () => {
    const { evaluations } = await client.models.evaluations("penguin-sex", { alias: "production" });
    const refused = evaluations.find((e) => e.version === 2);
    expect(refused).toMatchObject({ passed: false, forced: false, mode: "promote", currentVersion: 1 });
    expect(refused.id).toBe(result.outcomes[1].evaluation.id);
    const failed = refused.rules.filter((r) => !r.passed);
    // accuracy ≥ 0.85, not worse than production, the four-fifths rule, the behaviour cases.
    expect(failed.map((r) => r.index)).toEqual([0, 1, 2, 5]);
    const [minAccuracy, vsProduction, parity] = failed;
    expect(minAccuracy.observed).toBeLessThan(0.7);
    expect(minAccuracy.observed).toBeCloseTo(result.outcomes[1].accuracy, 12);
    expect(minAccuracy.bound).toContain("0.85");
    expect(vsProduction.bound).toContain("production");
    expect(parity.observed).toBeLessThan(0.8);
    for (const r of failed) expect(r.evidence).not.toBeNull();
    // Drift, schema compatibility and freshness are not what sank it.
    expect(refused.rules.filter((r) => r.passed).map((r) => r.index)).toEqual([3, 4, 6]);

    const passed = evaluations.find((e) => e.version === 1);
    expect(passed).toMatchObject({ passed: true, currentVersion: null });
    expect(passed.rules.every((r) => r.passed)).toBe(true);
  });

  it("registers both versions on the same dataset versions, with the label left out of the input signature", async () => {
    const [v1, v2] = await Promise.all([client.models.version("penguin-sex", 1), client.models.version("penguin-sex", 2)]);
    const byRole = (v) => Object.fromEntries(v.datasets.map((d) => [d.role, d.datasetVersionId]));
    expect(Object.keys(byRole(v1)).sort()).toEqual(["current", "test", "train"]);
    // What makes "not worse than production" a fair comparison: the same test rows.
    expect(byRole(v2)).toEqual(byRole(v1));
    const inputs = v1.signature.inputs.map((c) => c.name);
    expect(inputs).toContain("Body Mass (g)");
    expect(inputs).not.toContain("Sex");
    expect(v2.metrics["test/accuracy"]).toBeCloseTo(result.outcomes[1].accuracy, 12);
  });

  it("keeps the four client checks of each version, with the figures the gate read", async () => {
    for (const outcome of result.outcomes) {
      const { checks } = await client.models.checks("penguin-sex", outcome.version);
      const own = checks.filter((c) => c.source === "client");
      expect(own.map((c) => c.kind).sort()).toEqual(["behaviour", "bias", "drift", "performance"]);
      const perf = own.find((c) => c.kind === "performance");
      expect(perf.figures.accuracy).toBeCloseTo(outcome.accuracy, 12);
      expect(perf.datasets.map((d) => d.role)).toEqual(["test"]);
      const drift = own.find((c) => c.kind === "drift");
      // The shifted sample moved body mass and bill length, and only those.
      expect(drift.figures.columns.filter((c) => c.drifted).map((c) => c.column).sort()).toEqual(["Beak Length (mm)", "Body Mass (g)"]);
      expect(drift.datasets.map((d) => d.role).sort()).toEqual(["current", "reference"]);
    }
    const behaviour = async (v) => (await client.models.checks("penguin-sex", v, { kind: "behaviour" })).checks[0];
    expect((await behaviour(1)).status).toBe("passed");
    const weak = await behaviour(2);
    expect(weak.status).toBe("failed");
    expect(weak.figures.cases.filter((c) => !c.passed).map((c) => c.name)).toEqual([
      "a Chinstrap with a long, deep bill is male",
      "a Gentoo with a short, shallow bill is female",
    ]);
  });

  it("serves the promoted file: models.load of production gives the full model's bytes", async () => {
    const loaded = await client.models.load("penguin-sex", "production", { cacheDir });
    expect(loaded.version.version).toBe(1);
    const bytes = fs.readFileSync(loaded.path);
    const [file] = loaded.version.files;
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(file.sha256.replace(/^sha256:/, ""));
    const model = JSON.parse(bytes.toString("utf8"));
    expect(model.design).toBe("full");
    expect(result.served).toMatchObject({ version: 1, design: "full" });
  });

  it("runs as `npm start` does: exit code 0, a readable verdict per version; run again, the retrained full model takes over", async () => {
    const run = promisify(execFile);
    const env = { ...process.env, CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey, CAIRN_CACHE_DIR: cacheDir };
    // Asynchronously: the server runs in this process and must keep answering. execFile rejects on a non-zero exit.
    const deploy = () => run(process.execPath, ["deploy.mjs", "--project", "penguins-gate-cli"], { cwd: here, env });
    const { stdout } = await deploy();
    expect(stdout).toMatch(/penguin-sex v1 \(full, test accuracy 0\.\d+\): PROMOTED to production/);
    expect(stdout).toMatch(/penguin-sex v2 \(mass-only, test accuracy 0\.\d+\): REFUSED/);
    expect(stdout).toContain("promotion of penguin-sex v2 to production refused: 4 of 7 rules failed");
    expect(stdout).toMatch(/rule 1 accuracy on test ≥ 0\.85: observed 0\.\d+/);
    expect(stdout).toMatch(/rule 3 bias demographicParityRatio ≥ 0\.8: observed 0\.\d+/);
    expect(stdout).toContain("serving loads penguin-sex v1 (full)");

    // Same data, same seed: v3 equals v1, so it is not worse than production and replaces it.
    const again = await deploy();
    expect(again.stdout).toMatch(/penguin-sex v3 \(full, .*\): PROMOTED/);
    expect(again.stdout).toMatch(/penguin-sex v4 \(mass-only, .*\): REFUSED/);
    const alias = await client.models.alias("penguin-sex", "production", { project: "penguins-gate-cli" });
    expect(alias.history.map((m) => [m.fromVersion, m.toVersion])).toEqual([
      [1, 3],
      [null, 1],
    ]);
  }, 60_000);
});
