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
});
