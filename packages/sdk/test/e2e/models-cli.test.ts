import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it } from "vitest";
import { Cairn } from "../../src/client/cairn.js";
import { init } from "../../src/index.js";
import { CLI, projectName, runNode, serverPerFile, tmp } from "./helpers.js";

const rows = [
  { y: 1, good: 1, bad: 0 },
  { y: 0, good: 0, bad: 1 },
  { y: 1, good: 1, bad: 0 },
  { y: 0, good: 0, bad: 0 },
];

describe.each(testDrivers)("cairn models as a child process (%s)", (driver) => {
  let srv: TestServer;
  serverPerFile(driver, (s) => {
    srv = s;
  });

  /** A model with v1 (accuracy 1 on the test set) and v2 (0.25), and a production policy of accuracy ≥ 0.9. */
  async function setUp(project: string): Promise<{ runId: string }> {
    const run = await init({ project, url: srv.url, spoolDir: tmp(), capture: false });
    const file = join(tmp(), "model.json");
    writeFileSync(file, '{"w":1}');
    const test = await run.logDataset({ name: "test-set", data: rows, role: "test" });
    await run.logArtifact(file, { path: "model.json" });
    run.log({ accuracy: 0.5 });
    await run.registerModel("churn", "model.json", { description: "first" });
    await run.registerModel("churn", "model.json");
    await run.finish();
    const c = new Cairn({ url: srv.url, project });
    for (const [version, prediction] of [[1, "good"], [2, "bad"]] as const) {
      await c.models.check("churn", version, { kind: "performance", task: "classification", data: rows, label: "y", prediction, dataset: { datasetVersion: test } });
    }
    await c.models.setPolicy("churn", { alias: "production", rules: [{ metric: "accuracy", dataset: "test", min: 0.9 }] });
    return { runId: run.id };
  }

  it("ls, show and show --version print tables and one JSON document", async () => {
    const project = projectName("cli-models");
    const { runId } = await setUp(project);
    const cli = (args: string[]) => runNode([CLI, ...args], { env: { CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey, CAIRN_PROJECT: project } });

    const ls = await cli(["models", "ls"]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout.split("\n")[0]).toMatch(/^NAME\s+LATEST\s+ALIASES\s+UPDATED$/);
    expect(ls.stdout).toMatch(/^churn\s+v2\s+-\s+\d{4}-/m);
    const lsJson = JSON.parse((await cli(["models", "ls", "--json"])).stdout) as { models: Array<{ name: string; latestVersion: number }> };
    expect(lsJson.models).toEqual([expect.objectContaining({ name: "churn", latestVersion: 2, aliases: {} })]);
    // --project wins over CAIRN_PROJECT.
    const other = projectName("empty");
    await new Cairn({ url: srv.url }).projects.ensure(other);
    expect(JSON.parse((await cli(["models", "ls", "--project", other, "--json"])).stdout)).toEqual({ models: [] });
    expect((await cli(["models", "ls", "--project", projectName("missing")])).code).toBe(1);

    const show = await cli(["models", "show", "churn"]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^VERSION\s+CREATED\s+ALIASES\s+STATE\s+METRICS\s+RUN$/m);
    expect(show.stdout).toMatch(new RegExp(`^v1\\s+\\S+\\s+-\\s+accuracy=0\\.5\\s+${runId}$`, "m"));
    const showJson = JSON.parse((await cli(["models", "show", "churn", "--json"])).stdout) as { model: { name: string }; versions: Array<{ version: number }> };
    expect(showJson.model.name).toBe("churn");
    expect(showJson.versions.map((v) => v.version)).toEqual([2, 1]);

    const one = await cli(["models", "show", "churn", "--version", "2", "--json"]);
    expect(one.code, one.stderr).toBe(0);
    const oneJson = JSON.parse(one.stdout) as { version: { version: number }; checks: Array<{ kind: string; status: string; figures: { accuracy: number } }>; aliases: unknown[] };
    expect(oneJson.version.version).toBe(2);
    expect(oneJson.checks).toEqual([expect.objectContaining({ kind: "performance", status: "passed", figures: expect.objectContaining({ accuracy: 0.25 }) })]);
    expect(Array.isArray(oneJson.aliases)).toBe(true);
    const oneText = await cli(["models", "show", "churn", "--version", "2"]);
    expect(oneText.stdout).toMatch(/^churn v2$/m);
    expect(oneText.stdout).toMatch(/^performance\s+-\s+passed\s+client\s/m);

    expect((await cli(["--version"])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect((await cli(["models", "show", "nope"])).code).toBe(1);
    expect((await cli(["models", "show", "churn", "--version", "9"])).code).toBe(1);
    expect((await cli(["models", "show", "churn", "--version"])).code).toBe(2);
    expect((await cli(["models", "show"])).code).toBe(2);
    expect((await cli(["models", "frobnicate"])).code).toBe(2);
  });

  it("evaluate and promote: exit 0 when the gate passes, 1 when it refuses (with the rule table), 2 for bad input; --force from an admin", async () => {
    const project = projectName("cli-gate");
    await setUp(project);
    const cli = (args: string[]) => runNode([CLI, ...args, "--project", project], { env: { CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey } });

    const dryPass = await cli(["models", "evaluate", "churn", "1", "production"]);
    expect(dryPass.code, dryPass.stderr).toBe(0);
    expect(dryPass.stdout).toMatch(/would be promoted/);
    const dryFail = await cli(["models", "evaluate", "churn", "2", "production", "--json"]);
    expect(dryFail.code).toBe(1);
    expect(JSON.parse(dryFail.stdout)).toMatchObject({ passed: false, mode: "dry_run", version: 2, rules: [{ index: 0, passed: false, observed: 0.25 }] });

    const ok = await cli(["models", "promote", "churn", "1", "production", "--reason", "first release"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^promoted churn v1 to production/m);
    expect(ok.stdout).toMatch(/^RULE\s+CHECK\s+OBSERVED\s+BOUND\s+EVIDENCE\s+RESULT$/m);
    expect(ok.stdout).toMatch(/^1\s+accuracy on test\s+1\s+≥ 0\.9\s+check [0-9a-f-]{36}\s+pass$/m);

    const refused = await cli(["models", "promote", "churn", "2", "production"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^refused: churn v2 stays off production \(1 of 1 rules failed\)/m);
    expect(refused.stdout).toMatch(/^1\s+accuracy on test\s+0\.25\s+≥ 0\.9\s+check [0-9a-f-]{36}\s+FAIL$/m);
    await new Cairn({ url: srv.url, project }).models.setPolicy("churn", { alias: "production", rules: [{ metric: "accuracy", dataset: "test", min: 0.9 }, { check: "behaviour", allPass: true }] });
    const why = await cli(["models", "evaluate", "churn", "2", "production"]);
    expect(why.code).toBe(1);
    expect(why.stdout).toMatch(/^2\s+behaviour\s+none\s+status passed\s+no evidence\s+FAIL$/m);
    expect(why.stdout).toMatch(/^rule 2: no behaviour check recorded for v2$/m);
    const refusedJson = await cli(["models", "promote", "churn", "2", "production", "--json"]);
    expect(refusedJson.code).toBe(1);
    const doc = JSON.parse(refusedJson.stdout) as { promoted: boolean; evaluation: { passed: boolean; currentVersion: number } };
    expect(doc).toMatchObject({ promoted: false, evaluation: { passed: false, currentVersion: 1 } });

    const c = new Cairn({ url: srv.url, project });
    expect((await c.models.alias("churn", "production")).version).toBe(1);

    for (const args of [
      ["models", "promote", "churn", "x", "production"],
      ["models", "promote", "churn", "2", "Production"],
      ["models", "promote", "churn", "2"],
      ["models", "promote", "-bad", "2", "production"],
      ["models", "evaluate", "churn", "0", "production"],
    ]) {
      const r = await cli(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
    }
    expect((await cli(["models", "promote", "nope", "1", "production"])).stderr).toMatch(/not_found/);

    // A writer key may not force; an admin may, and the move is recorded as an override.
    const writer = await c.keys.create({ name: "ci", role: "writer", projects: [project] });
    const denied = await runNode([CLI, "models", "promote", "churn", "2", "production", "--force", "--reason", "hotfix", "--project", project], { env: { CAIRN_URL: srv.url, CAIRN_API_KEY: writer.secret } });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/forbidden/);
    const forced = await cli(["models", "promote", "churn", "2", "production", "--force", "--reason", "hotfix", "--json"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ promoted: true, alias: { version: 2 }, evaluation: { passed: false, forced: true, policyRevision: 2 } });
    const history = (await c.models.alias("churn", "production")).history.map((m) => [m.fromVersion, m.toVersion, m.forced, m.reason]);
    expect(history).toEqual([
      [1, 2, true, "hotfix"],
      [null, 1, false, "first release"],
    ]);
  });
});
