import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it, vi } from "vitest";
import { ConflictError, NotFoundError, ValidationError, init, type SdkErrorEvent } from "../../src/index.js";
import { Cairn } from "../../src/client/cairn.js";
import { pointCount, projectName, tmp, serverPerFile } from "./helpers.js";

describe.each(testDrivers)("tracking against the real server (%s)", (driver) => {
  let srv: TestServer;
  let client: Cairn;
  serverPerFile(driver, (s) => {
    srv = s;
    client = new Cairn({ url: s.url });
  });

  it("user story: init → 50 epochs → finish stores 100 points, params and the final status", async () => {
    const project = projectName("story");
    const run = await init({ project, url: srv.url, spoolDir: tmp(), name: "first", params: { lr: 0.01, optimizer: "adam" }, tags: { team: "ml" } });
    expect(run.url).toBe(`${srv.url}/projects/${project}/runs/${run.id}`);
    for (let epoch = 0; epoch < 50; epoch++) run.log({ loss: 1 / (epoch + 1), accuracy: epoch / 50 });
    await run.finish();

    expect(await pointCount(srv, run.id)).toBe(100);
    const stored = await client.runs.get(run.id);
    expect(stored).toMatchObject({ id: run.id, name: "first", status: "finished", params: { lr: 0.01, optimizer: "adam" }, tags: { team: "ml" } });
    expect(stored.metrics.loss).toMatchObject({ count: 50, lastStep: 49, last: 1 / 50 });
    expect(run.stats()).toEqual({ logged: 100, sent: 100, spooled: 0, dropped: 0, retries: 0 });

    const history = await client.metrics.history(run.id, "accuracy", { maxPoints: 1000 });
    expect(history.steps).toHaveLength(50);
    expect((await client.metrics.list(run.id)).metrics.map((m) => m.key).sort()).toEqual(["accuracy", "loss"]);
  });

  it("sends NaN/±Infinity, later params, tags and notes; keys with / are URL-encoded", async () => {
    const run = await init({ project: projectName("values"), url: srv.url, spoolDir: tmp() });
    run.log({ "val/loss": NaN, "train/x": Infinity, y: -Infinity }, { step: 3 });
    run.logParams({ batch: 32 });
    run.setTags({ a: "1", b: "2" });
    run.setTags({ b: null });
    run.setNotes("converged");
    await run.finish({ status: "failed" });
    const stored = await client.runs.get(run.id);
    expect(stored).toMatchObject({ status: "failed", params: { batch: 32 }, tags: { a: "1" }, notes: "converged" });
    expect(stored.metrics["val/loss"]?.last).toBe("NaN");
    const h = await client.metrics.history(run.id, "val/loss");
    expect(h).toMatchObject({ steps: [3], values: ["NaN"] });
    expect((await client.metrics.history(run.id, "y")).values).toEqual(["-Infinity"]);
  });

  it("searches runs with filter and orderBy, pages with iterate(), and reports filter errors with a position", async () => {
    const project = projectName("search");
    for (const [i, acc] of [0.7, 0.95, 0.9].entries()) {
      const run = await init({ project, url: srv.url, spoolDir: tmp(), name: `r${i}`, params: { optimizer: i === 0 ? "sgd" : "adam" } });
      run.log({ accuracy: acc });
      await run.finish();
    }
    const page = await client.runs.search({ project, filter: 'metrics.accuracy > 0.8 and params.optimizer = "adam"', orderBy: "metrics.accuracy desc" });
    expect(page.runs.map((r) => r.name)).toEqual(["r1", "r2"]);
    const all: string[] = [];
    for await (const r of client.runs.iterate({ project, orderBy: "metrics.accuracy asc", limit: 1 })) all.push(r.name);
    expect(all).toEqual(["r0", "r2", "r1"]);
    const err = await client.runs.search({ project, filter: "metrics.accuracy >> 1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ status: 400, code: "invalid_filter" });
    expect((err as ValidationError).errors[0]?.position).toBeTypeOf("number");
  });

  it("a duplicate metrics batch leaves counts unchanged", async () => {
    const project = projectName("dup");
    await client.projects.ensure(project);
    const run = await client.runs.create(project, {});
    const points = Array.from({ length: 500 }, (_, i) => ({ key: "loss", value: i, step: i, timestamp: Date.now() }));
    expect(await client.metrics.log(run.id, points)).toEqual({ accepted: 500, written: 500, duplicates: 0 });
    expect(await client.metrics.log(run.id, points)).toEqual({ accepted: 500, written: 0, duplicates: 500 });
    expect(await pointCount(srv, run.id)).toBe(500);
    expect((await client.runs.get(run.id)).metrics.loss?.count).toBe(500);
  });

  it("maps problem+json to typed errors", async () => {
    const project = projectName("errors");
    await client.projects.create({ name: project });
    await expect(client.projects.create({ name: project })).rejects.toBeInstanceOf(ConflictError);
    expect((await client.projects.ensure(project)).name).toBe(project);
    const missing = await client.runs.get("01900000-0000-7000-8000-000000000000").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: "not_found" });
    expect((await client.projects.list({ limit: 1000 })).projects.some((p) => p.name === project)).toBe(true);
  });

  it("reports a 4xx once through onError and never throws it into training code", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const events: SdkErrorEvent[] = [];
    const run = await init({ project: projectName("4xx"), url: srv.url, spoolDir: tmp(), params: { lr: 0.1 }, onError: (e) => events.push(e) });
    run.logParams({ lr: 0.2 }); // params are immutable: 409
    run.logParams({ lr: 0.3 }); // same kind of failure: not reported again
    run.log({ ok: 1 });
    await expect(run.finish()).resolves.toBeUndefined();
    warn.mockRestore();
    expect(events).toHaveLength(1);
    expect(events[0]!.error).toBeInstanceOf(ConflictError);
    expect(events[0]!.op).toBe("log params");
    expect((await client.runs.get(run.id)).status).toBe("finished");
    expect(await pointCount(srv, run.id)).toBe(1);
  });

  it("is idempotent when a run with the same client id is initialised twice", async () => {
    const project = projectName("resume");
    const first = await init({ project, url: srv.url, spoolDir: tmp() });
    first.log({ a: 1 }, { step: 0 });
    await first.finish();
    const again = await init({ project, url: srv.url, spoolDir: tmp(), id: first.id });
    again.log({ a: 1 }, { step: 0 }); // same (run, key, step): deduplicated
    again.log({ a: 2 }, { step: 1 });
    await again.finish();
    expect(await pointCount(srv, first.id)).toBe(2);
    expect((await client.runs.search({ project })).runs).toHaveLength(1);
  });

  it("sends heartbeats and installs exit handlers only while a run is active", async () => {
    const before = ["SIGINT", "SIGTERM", "beforeExit", "exit"].map((e) => process.listenerCount(e));
    const run = await init({ project: projectName("hb"), url: srv.url, spoolDir: tmp(), heartbeatIntervalMs: 100 });
    expect(process.listenerCount("SIGINT")).toBe(before[0]! + 1);
    const startedHb = (await client.runs.get(run.id)).heartbeatAt;
    await vi.waitFor(async () => expect(Date.parse((await client.runs.get(run.id)).heartbeatAt)).toBeGreaterThan(Date.parse(startedHb)), {
      timeout: 5_000,
      interval: 100,
    });
    await run.finish();
    expect(["SIGINT", "SIGTERM", "beforeExit", "exit"].map((e) => process.listenerCount(e))).toEqual(before);
  });

  it("concurrent first batches of new keys (what the sender's parallel requests do) store every point", async () => {
    const project = projectName("race");
    await client.projects.ensure(project);
    for (let attempt = 0; attempt < 5; attempt++) {
      const run = await client.runs.create(project, {});
      const batches = Array.from({ length: 8 }, (_, b) =>
        Array.from({ length: 500 }, (_, i) => ({ key: `k${i % 10}`, value: i, step: b * 50 + Math.floor(i / 10), timestamp: 1 })),
      );
      const results = await Promise.all(batches.map((points) => client.metrics.log(run.id, points)));
      expect(results.reduce((n, r) => n + r.written, 0)).toBe(4000);
      expect(await pointCount(srv, run.id)).toBe(4000);
    }
  });
});
