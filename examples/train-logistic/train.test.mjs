import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Cairn } from "@cairn/sdk";
import { startTestServer } from "@cairn/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./train.mjs";

// The example as a user runs it, against a real server: it must train a useful model
// and leave a complete, queryable run behind.
describe("examples/train-logistic", () => {
  let srv;
  beforeAll(async () => {
    srv = await startTestServer();
    process.env.CAIRN_URL = srv.url;
    process.env.CAIRN_API_KEY = srv.apiKey;
  });
  afterAll(async () => {
    delete process.env.CAIRN_URL;
    delete process.env.CAIRN_API_KEY;
    await srv?.close();
  });

  it("trains above 90% validation accuracy and logs every epoch", async () => {
    const result = await main(["--epochs", "30", "--project", "penguins-example"]);
    expect(result.val.accuracy).toBeGreaterThan(0.9);
    const client = new Cairn({ url: srv.url });
    const run = await client.runs.get(result.runId);
    expect(run.status).toBe("finished");
    expect(run.params).toMatchObject({ lr: 0.1, epochs: 30, seed: 42 });
    expect(Object.keys(run.metrics).sort()).toEqual(["train/accuracy", "train/loss", "val/accuracy", "val/loss"]);
    expect(run.metrics["val/loss"].count).toBe(30);
    expect(run.metrics["val/accuracy"].last).toBeCloseTo(result.val.accuracy, 12);
    const best = await client.runs.search({ project: "penguins-example", filter: "metrics.`val/accuracy` > 0.9", orderBy: "metrics.`val/loss` asc" });
    expect(best.runs.map((r) => r.id)).toContain(result.runId);
  });

  it("records what the model was made of: the data splits, the model file, the code and the machine", async () => {
    const project = "penguins-lineage";
    const first = await main(["--epochs", "5", "--project", project]);
    const again = await main(["--epochs", "5", "--project", project]);
    const client = new Cairn({ url: srv.url });

    // The same seed gives the same split: the same dataset versions, not new ones.
    const inputs = (await client.runs.datasets(first.runId)).datasets;
    expect(inputs.map((d) => [d.direction, d.role, d.datasetVersion.name]).sort()).toEqual([
      ["input", "train", "penguins-train"],
      ["input", "validation", "penguins-validation"],
    ]);
    const train = inputs.find((d) => d.role === "train").datasetVersion;
    expect(train.rowCount).toBe(first.params.trainRows);
    const againTrain = (await client.runs.datasets(again.runId)).datasets.find((d) => d.role === "train").datasetVersion;
    expect(againTrain.id).toBe(train.id);
    expect((await client.datasets.versions(project, "penguins-train")).versions).toHaveLength(1);
    const profiled = await client.datasets.version(project, "penguins-train", "latest");
    const mass = profiled.profile.columns.find((c) => c.name === "Body Mass (g)");
    expect(mass.type).toBe("numerical");
    expect(mass.count).toBe(first.params.trainRows);
    expect(mass.numerical.min).toBeGreaterThan(2000);

    // The model file, and lineage from it back to the data.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-example-"));
    await client.artifacts.download(first.runId, "model/model.json", path.join(dir, "model.json"));
    const saved = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
    expect(saved.weights).toHaveLength(saved.d * saved.k);
    expect(saved.classes).toEqual(["Adelie", "Chinstrap", "Gentoo"]);
    const listing = await client.artifacts.list(first.runId, { recursive: true });
    const model = listing.artifacts.find((a) => a.path === "model/model.json");
    const graph = await client.lineage("artifact", model.id, { direction: "up" });
    expect(graph.nodes.filter((n) => n.kind === "dataset_version").map((n) => n.label).sort()).toEqual(["penguins-train v1", "penguins-validation v1"]);
    fs.rmSync(dir, { recursive: true, force: true });

    // The code and machine it ran on.
    const run = await client.runs.get(first.runId);
    const head = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    expect(run.source?.commit).toBe(head);
    expect(run.environment?.node).toBe(process.version);
    expect(run.environment?.seed).toBe(42);
  });

  it("re-runs itself from the record: `cairn rerun --set` trains with the override and links the runs", async () => {
    const here = path.dirname(new URL(import.meta.url).pathname);
    const cli = path.resolve(here, "../../packages/sdk/dist/cli.js");
    const env = { ...process.env, CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey };
    const project = "penguins-rerun";
    // Asynchronously: the server runs in this process and must keep answering.
    const run = promisify(execFile);
    await run(process.execPath, ["train.mjs", "--epochs", "3", "--project", project], { cwd: here, env });
    const client = new Cairn({ url: srv.url });
    const [original] = (await client.runs.search({ project })).runs;
    expect(original.source?.command).toContain("train.mjs");

    const { stdout: out } = await run(process.execPath, [cli, "rerun", original.id, "--set", "lr=0.3"], { cwd: here, env });
    expect(out).toContain("lr=0.3");
    const rerun = (await client.runs.search({ project, filter: `id != "${original.id}"` })).runs[0];
    expect(rerun.retrainedFrom).toBe(original.id);
    expect(rerun.params).toMatchObject({ lr: 0.3, epochs: 3, seed: 42 });
    expect(rerun.metrics["val/accuracy"].count).toBe(3);
    const graph = await client.lineage("run", original.id, { direction: "down" });
    expect(graph.edges.some((e) => e.relation === "retrained_from" && e.to.id === rerun.id)).toBe(true);
  }, 60_000);
});
