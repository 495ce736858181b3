import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { isUuidV7 } from "@cairn/core";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it, vi } from "vitest";
import { Cairn } from "../../src/client/cairn.js";
import { init, type AliasEvent, type SdkErrorEvent } from "../../src/index.js";
import { CLI, projectName, runNode, SDK_DIST, serverPerFile, tmp } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const features = (i: number) => ({ amount: i * 1.5, age: 30 + (i % 40), city: i % 2 ? "paris" : "lyon", flag: i % 3 === 0, note: null });

/** Forwards to the server, but holds event streams back (sends their headers, never their bytes), as a buffering proxy does. */
async function bufferingProxy(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const out = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      if (String(r.headers["content-type"]).startsWith("text/event-stream")) {
        res.flushHeaders();
        r.resume(); // swallowed: nothing reaches the client until the end
        return;
      }
      r.pipe(res);
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe.each(testDrivers)("serving SDK: monitor, labels, watch (%s)", (driver) => {
  let srv: TestServer;
  serverPerFile(driver, (s) => (srv = s));

  /** A project with model `fraud` v1 and v2 (from a run's file). */
  async function registered(label: string) {
    const project = projectName(label);
    const client = new Cairn({ url: srv.url, project });
    const run = await init({ project, url: srv.url, capture: false, spoolDir: tmp() });
    const dir = tmp();
    writeFileSync(join(dir, "model.json"), JSON.stringify({ threshold: 0.5 }));
    await run.logArtifact(join(dir, "model.json"), { path: "model.json" });
    const v1 = await run.registerModel("fraud", "model.json");
    const v2 = await run.registerModel("fraud", "model.json");
    await run.finish();
    return { project, client, v1, v2 };
  }

  async function stored(versionId: string): Promise<{ n: number; distinct: number }> {
    const [row] = await srv.query<{ n: number; distinct: number }>("select count(*)::int as n, count(distinct id)::int as distinct from predictions where model_version_id = $1", [versionId]);
    return row!;
  }

  it("logPrediction returns a fresh UUIDv7 at once (server down or up); every prediction is stored exactly once across a server restart", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { client, v1 } = await registered("restart");
    const monitor = client.monitor({ model: "fraud", version: 1, flushIntervalMs: 50, maxBatchRows: 200, spoolDir: tmp(), retryWindowMs: 60_000 });
    const ids: string[] = [];
    let i = 0;
    const pump = async (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        for (let k = 0; k < 50; k++, i++) ids.push(monitor.logPrediction({ features: features(i), output: i % 2, score: (i % 100) / 100, latencyMs: 1 + (i % 5) }));
        await sleep(10);
      }
    };
    await pump(500);
    await srv.stop();
    const t0 = performance.now();
    const offline = monitor.logPrediction({ features: features(-1), output: 0 });
    expect(performance.now() - t0).toBeLessThan(5); // no network on the calling path
    ids.push(offline);
    await pump(2_000);
    await srv.start();
    await pump(500);
    await monitor.close();
    warn.mockRestore();

    expect(ids.every(isUuidV7)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(monitor.stats()).toMatchObject({ logged: ids.length, sent: ids.length, dropped: 0 });
    expect(monitor.stats().retries).toBeGreaterThan(0);
    expect(await stored(v1.id)).toEqual({ n: ids.length, distinct: ids.length });
    // What was logged is what is stored.
    const [row] = await srv.query<{ features: unknown; output: unknown; score: number; latency_ms: number }>("select features, output, score, latency_ms from predictions where id = $1", [ids[7]]);
    expect(row).toMatchObject({ features: features(7), output: 1, score: 0.07, latency_ms: 3 });
  });

  it("spools while the server is away; `cairn sync` uploads the spooled predictions and labels, once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { client, v1, project } = await registered("spool");
    const spoolDir = tmp();
    await srv.stop();
    const monitor = client.monitor({ model: "fraud", version: 1, spoolDir, retryWindowMs: 300, flushDeadlineMs: 3_000, maxBatchRows: 100 });
    const ids = Array.from({ length: 1_000 }, (_, i) => monitor.logPrediction({ features: features(i), output: i % 2 }));
    monitor.logLabel(ids[0]!, 1);
    await monitor.close();
    warn.mockRestore();
    expect(monitor.stats()).toMatchObject({ logged: 1_001, sent: 0, dropped: 0 });
    expect(monitor.stats().spooled).toBe(1_001);
    const folders = readdirSync(spoolDir);
    expect(folders).toEqual([monitor.id]);
    expect(JSON.parse(readFileSync(join(spoolDir, monitor.id, "meta.json"), "utf8"))).toMatchObject({ kind: "monitor", project, runId: monitor.id });
    await srv.start();
    for (let pass = 0; pass < 2; pass++) {
      const res = await runNode([CLI, "sync", "--spool-dir", spoolDir, "--json"], { env: { CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey } });
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout.trim().split("\n").at(-1)!)).toMatchObject(pass === 0 ? { synced: 1, rejected: 0, points: 1_001 } : { runs: 0 });
    }
    expect(await stored(v1.id)).toEqual({ n: 1_000, distinct: 1_000 });
    const record = await fetch(`${srv.url}/api/v1/projects/${project}/predictions/${ids[0]}`, { headers: { authorization: `Bearer ${srv.apiKey}` } });
    expect(((await record.json()) as { label: unknown }).label).toBe(1);
    expect(existsSync(join(spoolDir, monitor.id))).toBe(false);
  });

  it("flushes at process exit (a script that never calls close)", async () => {
    const { project, v1 } = await registered("exit");
    const script = join(tmp(), "serve.mjs");
    writeFileSync(
      script,
      `import { Cairn } from ${JSON.stringify(SDK_DIST)};
       const monitor = new Cairn({ project: ${JSON.stringify(project)} }).monitor({ model: "fraud", version: 1, flushIntervalMs: 60000 });
       for (let i = 0; i < 2500; i++) monitor.logPrediction({ features: { x: i }, output: i % 2 });
       console.log("logged");`,
    );
    const res = await runNode([script], { env: { CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey, CAIRN_SPOOL_DIR: tmp() } });
    expect(res.code, res.stderr).toBe(0);
    expect(await stored(v1.id)).toEqual({ n: 2_500, distinct: 2_500 });
  });

  it("exits within the flush deadline when the server takes connections and never answers, with every prediction spooled for `cairn sync`", async () => {
    // A monitor's batches to a server that never answered held a serving process open for the
    // request timeout (20 s); they now go through the run's unref'd background transport.
    const { project, v1 } = await registered("hole");
    const sockets = new Set<import("node:net").Socket>();
    const hole = (await import("node:net")).createServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
    });
    await new Promise<void>((r) => hole.listen(0, "127.0.0.1", r));
    try {
      const spoolDir = tmp();
      const deadline = 2_000;
      const script = join(tmp(), "serve.mjs");
      writeFileSync(
        script,
        `let end = 0;
         process.on("exit", () => console.log(JSON.stringify({ exitAfterMs: Date.now() - end })));
         const { Cairn } = await import(${JSON.stringify(SDK_DIST)});
         const monitor = new Cairn({ project: ${JSON.stringify(project)} }).monitor({ model: "fraud", version: 1, flushIntervalMs: 50, maxBatchRows: 500, flushDeadlineMs: ${deadline}, retryWindowMs: 60000 });
         for (let i = 0; i < 2500; i++) monitor.logPrediction({ features: { x: i }, output: i % 2 });
         await new Promise((r) => setTimeout(r, 300)); // batches are in flight to the black hole
         end = Date.now();`,
      );
      const res = await runNode([script], { env: { CAIRN_URL: `http://127.0.0.1:${(hole.address() as AddressInfo).port}`, CAIRN_API_KEY: srv.apiKey, CAIRN_SPOOL_DIR: spoolDir } });
      expect(res.code, res.stderr).toBe(0);
      const { exitAfterMs } = JSON.parse(res.stdout.trim().split("\n").at(-1)!) as { exitAfterMs: number };
      expect(exitAfterMs).toBeLessThan(deadline + 1_500);
      // The spool remembers the black hole's address: --url sends it to the server that answers.
      const sync = await runNode([CLI, "sync", "--spool-dir", spoolDir, "--url", srv.url, "--json"], { env: { CAIRN_API_KEY: srv.apiKey } });
      expect(sync.code, sync.stderr).toBe(0);
      expect(await stored(v1.id)).toEqual({ n: 2_500, distinct: 2_500 });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hole.close(r));
    }
  }, 40_000);

  it("wrap() times each call, logs features and output, returns the result untouched (sync and async); a throw rethrows and logs nothing", async () => {
    const { client, project } = await registered("wrap");
    const monitor = client.monitor({ model: "fraud", version: 2 });
    const result = { label: 1, p: 0.8 };
    const logged: string[] = [];
    const predict = monitor.wrap((x: { amount: number }) => (x.amount > 10 ? result : { label: 0, p: 0.1 }), {
      output: (r) => r.label,
      score: (r) => r.p,
      onLogged: (id) => logged.push(id),
    });
    expect(predict({ amount: 20 })).toBe(result);
    const slow = monitor.wrap(async (x: { amount: number }, _requestId: string) => {
      await sleep(30);
      return x.amount * 2;
    }, { features: (x, requestId) => ({ ...x, requestId }), onLogged: (id) => logged.push(id) });
    await expect(slow({ amount: 4 }, "req-1")).resolves.toBe(8);
    const broken = monitor.wrap((_x: object): number => {
      throw new Error("model crashed");
    });
    expect(() => broken({ amount: 1 })).toThrow("model crashed");
    const rejecting = monitor.wrap(async (_x: object): Promise<number> => {
      throw new Error("async crash");
    });
    await expect(rejecting({})).rejects.toThrow("async crash");
    await monitor.close();
    expect(monitor.stats()).toMatchObject({ logged: 2, sent: 2, errors: 2, dropped: 0 });
    const get = async (id: string) => (await (await fetch(`${srv.url}/api/v1/projects/${project}/predictions/${id}`, { headers: { authorization: `Bearer ${srv.apiKey}` } })).json()) as Record<string, unknown>;
    const first = await get(logged[0]!);
    expect(first).toMatchObject({ features: { amount: 20 }, output: 1, score: 0.8 });
    expect(first.latencyMs as number).toBeLessThan(50);
    const second = await get(logged[1]!);
    expect(second).toMatchObject({ features: { amount: 4, requestId: "req-1" }, output: 8 });
    expect(second.latencyMs as number).toBeGreaterThanOrEqual(25);
  });

  it("labels: monitor.logLabel and client.labels.log join by prediction id (a label may come first); bad rows are dropped one by one and reported", async () => {
    const { client, project } = await registered("labels");
    const errors: SdkErrorEvent[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const monitor = client.monitor({ model: "fraud", version: 1, onError: (e) => errors.push(e) });
    const a = monitor.logPrediction({ features: { x: 1 }, output: 0, timestamp: Date.now() - 60_000 });
    const b = monitor.logPrediction({ features: { x: 2 }, output: 1 });
    const nested = monitor.logPrediction({ features: { x: { deep: 1 } } as never, output: 1 });
    monitor.logLabel(a, 0);
    monitor.logLabel("not-an-id", 1);
    await monitor.close();
    warn.mockRestore();
    expect(monitor.stats()).toMatchObject({ logged: 5, sent: 3, dropped: 2 });
    expect(errors.map((e) => e.error.message).join("\n")).toMatch(/features must be a flat object[\s\S]*predictionId must be a UUIDv7/);
    // A label for a prediction the server has not seen yet is kept pending, then joined.
    const later = monitor.id.replace(/^.{8}/, "01234567"); // a UUIDv7 no prediction has (yet)
    expect(await client.labels.log([{ predictionId: b, label: 1 }, { predictionId: later, label: 0 }])).toEqual({ accepted: 2, pending: 1 });
    const get = async (id: string) => (await (await fetch(`${srv.url}/api/v1/projects/${project}/predictions/${id}`, { headers: { authorization: `Bearer ${srv.apiKey}` } })).json()) as Record<string, unknown>;
    expect(await get(a)).toMatchObject({ label: 0 });
    expect(await get(b)).toMatchObject({ label: 1 });
    expect((await fetch(`${srv.url}/api/v1/projects/${project}/predictions/${nested}`, { headers: { authorization: `Bearer ${srv.apiKey}` } })).status).toBe(404);
    await expect(client.labels.log([{ predictionId: "x", label: 1 }])).rejects.toThrow(/labels\[0\]/);
  });

  it("memory stays bounded without a spool: past maxBufferedRows new rows are dropped and counted, never silently", async () => {
    const errors: SdkErrorEvent[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const client = new Cairn({ url: "http://127.0.0.1:9", project: "nowhere" });
    const opts = { model: "fraud", version: 1, spoolDir: false, maxBufferedRows: 2_000, maxBatchRows: 500, retryWindowMs: 60_000, flushDeadlineMs: 200, onError: (e: SdkErrorEvent) => errors.push(e) } as const;
    const monitor = client.monitor(opts);
    await sleep(20); // started (a service logs its first prediction long after creating the monitor)
    for (let i = 0; i < 20_000; i++) monitor.logPrediction({ features: features(i), output: 1 });
    await sleep(50);
    const s = monitor.stats();
    expect(s.logged).toBe(20_000);
    expect(s.dropped).toBeGreaterThanOrEqual(20_000 - 2_000 - 500 * 5);
    expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/2000 points buffered in memory and no spool: dropping new points/);
    await monitor.close();
    // Bounded from the very first call too (before the monitor's sender has started).
    const eager = client.monitor(opts);
    for (let i = 0; i < 20_000; i++) eager.logPrediction({ features: features(i), output: 1 });
    expect(eager.stats().dropped).toBeGreaterThanOrEqual(20_000 - 2_000 - 500 * 5);
    expect(errors.map((e) => e.error.message)).toContainEqual(expect.stringMatching(/more than 2000 rows before the monitor started/));
    await eager.close();
    warn.mockRestore();
  });

  it("model.monitor() on a loaded version; watch() fires once per promotion through the gate, over SSE and by polling", async () => {
    const { client, v1, v2, project } = await registered("watch");
    await client.models.promote("fraud", 1, "production");
    const model = await client.models.load("fraud", "production", { cacheDir: tmp() });
    const monitor = model.monitor({ flushIntervalMs: 50 });
    expect([monitor.model, monitor.version]).toEqual(["fraud", 1]);
    monitor.logPrediction({ features: { x: 1 }, output: 1 });
    await monitor.close();
    expect(await stored(v1.id)).toEqual({ n: 1, distinct: 1 });

    const seen: Record<string, AliasEvent[]> = { sse: [], poll: [] };
    const sse = client.models.watch("fraud", "production", (e) => void seen.sse!.push(e), { version: 1 });
    const poll = client.models.watch("fraud", "production", (e) => void seen.poll!.push(e), { transport: "poll", pollIntervalMs: 200 });
    expect((await sse.ready).version).toBe(1);
    expect((await poll.ready).version).toBe(1);
    expect([sse.mode, poll.mode]).toEqual(["sse", "poll"]);

    const t0 = Date.now();
    await client.models.promote("fraud", 2, "production");
    while (seen.sse!.length === 0 || seen.poll!.length === 0) {
      if (Date.now() - t0 > 5_000) throw new Error(`no change seen: ${JSON.stringify(seen)}`);
      await sleep(50);
    }
    expect(Date.now() - t0).toBeLessThan(2_500);
    for (const events of Object.values(seen)) expect(events).toEqual([expect.objectContaining({ model: "fraud", alias: "production", version: 2, previousVersion: 1 })]);
    // Promoting the holder again moves nothing: no second call.
    await client.models.promote("fraud", 2, "production");
    await sleep(1_500);
    expect([seen.sse!.length, seen.poll!.length]).toEqual([1, 1]);
    expect(sse.current?.version).toBe(2);
    sse.close();
    poll.close();
    expect(v2.version).toBe(2);

    // Behind a proxy that buffers responses (the stream's events never get through), the
    // watch notices and polls instead, and still sees the next move.
    const proxy = await bufferingProxy(srv.url);
    try {
      const behind = new Cairn({ url: proxy.url, project });
      const swapped: AliasEvent[] = [];
      const w = behind.models.watch("fraud", "production", (e) => void swapped.push(e), { version: 2, firstEventTimeoutMs: 500, pollIntervalMs: 200 });
      expect((await w.ready).version).toBe(2);
      expect(w.mode).toBe("poll");
      await client.models.promote("fraud", 1, "production");
      const t1 = Date.now();
      while (swapped.length === 0 && Date.now() - t1 < 5_000) await sleep(50);
      expect(swapped).toEqual([expect.objectContaining({ version: 1, previousVersion: 2 })]);
      w.close();
    } finally {
      await proxy.close();
    }

    // An unknown alias: ready rejects (404) and the watch ends.
    const errors: Error[] = [];
    const missing = client.models.watch("fraud", "canary", () => {}, { onError: (e) => errors.push(e) });
    await expect(missing.ready).rejects.toThrow();
    expect(errors).toHaveLength(1);
  });
});
