import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it } from "vitest";
import { Cairn } from "../../src/client/cairn.js";
import { GateRefusedError, init, NotFoundError, type RunHandle } from "../../src/index.js";
import { projectName, serverPerFile, tmp } from "./helpers.js";

const sha = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

/** A test set: labels, predictions of a good model (5 of 6 right) and of a bad one (2 of 6), and a group. */
const testRows = [
  { y: 1, good: 1, bad: 1, sex: "f", score: 0.9 },
  { y: 0, good: 0, bad: 1, sex: "f", score: 0.2 },
  { y: 1, good: 1, bad: 0, sex: "m", score: 0.7 },
  { y: 0, good: 0, bad: 0, sex: "m", score: 0.4 },
  { y: 1, good: 0, bad: 0, sex: "f", score: 0.45 },
  { y: 0, good: 0, bad: 1, sex: "m", score: 0.1 },
];

interface CountingProxy {
  url: string;
  fileGets: () => number;
  /** Flip the first byte of the next file body (the server's ETag and length stay). */
  corruptNext: boolean;
  /** Let the next POST whose path matches reach the server, then lose its answer (the client sees a 503). */
  loseAnswerTo: RegExp | null;
  posts: () => number;
  close: () => Promise<void>;
}

/** Forwards to the server and counts the requests for a version's files (what a cache hit must not send). */
async function countingProxy(target: string): Promise<CountingProxy> {
  let gets = 0;
  let posts = 0;
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    if (req.method === "POST") posts++;
    const lose = req.method === "POST" && proxy.loseAnswerTo?.test(req.url ?? "") === true;
    if (lose) proxy.loseAnswerTo = null;
    const isFile = req.method === "GET" && /\/versions\/[^/]+\/files\//.test(req.url ?? "");
    if (isFile) gets++;
    const corrupt = isFile && proxy.corruptNext;
    if (corrupt) proxy.corruptNext = false;
    const out = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      if (lose) {
        r.resume();
        r.on("end", () => res.writeHead(503, { "content-type": "text/plain" }).end("lost"));
        return;
      }
      res.writeHead(r.statusCode ?? 502, r.headers);
      let first = corrupt;
      r.on("data", (chunk: Buffer) => {
        if (first && chunk.length > 0) {
          chunk[0] = chunk[0]! ^ 0xff;
          first = false;
        }
        res.write(chunk);
      });
      r.on("end", () => res.end());
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const proxy: CountingProxy = {
    url: `http://127.0.0.1:${port}`,
    fileGets: () => gets,
    posts: () => posts,
    corruptNext: false,
    loseAnswerTo: null,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return proxy;
}

describe.each(testDrivers)("client.models against the real server (%s)", (driver) => {
  let srv: TestServer;
  let client: Cairn;
  serverPerFile(driver, (s) => {
    srv = s;
  });
  const newRun = (project: string) => init({ project, url: srv.url, spoolDir: tmp(), capture: false });

  /** A run that logged a model file, a model folder, a test set and an accuracy metric. */
  async function trainedRun(project: string): Promise<{ run: RunHandle; file: string; dir: string; testSetId: string }> {
    const run = await newRun(project);
    const dir = tmp();
    const file = join(dir, "model.json");
    writeFileSync(file, JSON.stringify({ weights: [0.1, 0.2], bias: -0.3 }));
    mkdirSync(join(dir, "bundle", "sub"), { recursive: true });
    writeFileSync(join(dir, "bundle", "weights.bin"), Buffer.alloc(70_000, 7));
    writeFileSync(join(dir, "bundle", "sub", "config.json"), '{"layers":2}');
    run.log({ accuracy: 0.83, loss: 0.4 });
    const testSet = await run.logDataset({ name: "churn-test", data: testRows, role: "test" });
    // Not awaited: registerModel must wait for these uploads itself.
    void run.logArtifact(file, { path: "model/model.json" });
    void run.logArtifacts(join(dir, "bundle"), { prefix: "bundle" });
    return { run, file, dir, testSetId: testSet.id };
  }

  it("registers a file and a folder from a run's artifacts (waiting for the uploads); retries make no extra version; latest skips archived", async () => {
    const project = projectName("models");
    client = new Cairn({ url: srv.url, project });
    const { run, file, dir, testSetId } = await trainedRun(project);
    const v1 = await run.registerModel("churn", "model/model.json", { framework: "plain-js", description: "first" });
    expect(v1).toMatchObject({ modelName: "churn", version: 1, runId: run.id, artifactPath: "model/model.json", framework: "plain-js", archived: false });
    expect(v1.files).toHaveLength(1);
    expect(v1.files[0]!.sha256).toBe(sha(readFileSync(file)));
    expect(v1.digest).toBe(v1.files[0]!.sha256);
    expect(v1.metrics).toMatchObject({ accuracy: 0.83, loss: 0.4 });
    expect(v1.datasets).toContainEqual(expect.objectContaining({ datasetVersionId: testSetId, role: "test" }));

    const id = "0193a0c0-1111-7000-8000-000000000002";
    const v2 = await client.models.register({ name: "churn", runId: run.id, artifactPath: "bundle", id });
    expect(v2.version).toBe(2);
    expect(v1.files.map((f) => f.path)).toEqual(["model.json"]);
    expect(v2.files.map((f) => f.path)).toEqual(["sub/config.json", "weights.bin"]);
    expect(v2.files[1]!.sha256).toBe(sha(readFileSync(join(dir, "bundle", "weights.bin"))));
    // The same client id again (a retry) is the same version, not a third.
    expect((await client.models.register({ name: "churn", runId: run.id, artifactPath: "bundle", id })).id).toBe(v2.id);
    // A registration the server made but whose answer was lost is retried with its id: still no third version.
    const proxy = await countingProxy(srv.url);
    try {
      proxy.loseAnswerTo = /\/models\/churn\/versions$/;
      const lost = await new Cairn({ url: proxy.url, project }).models.register({ name: "churn", runId: run.id, artifactPath: "bundle" });
      expect(proxy.posts()).toBe(2);
      expect(lost.version).toBe(3);
    } finally {
      await proxy.close();
    }
    expect((await client.models.versions("churn")).versions.map((v) => v.version)).toEqual([3, 2, 1]);

    expect(await client.models.get("churn")).toMatchObject({ name: "churn", latestVersion: 3 });
    expect((await client.models.list()).models.map((m) => m.name)).toEqual(["churn"]);
    expect((await client.models.version("churn", "latest")).version).toBe(3);
    expect((await client.models.archive("churn", 3)).archived).toBe(true);
    expect((await client.models.version("churn", "latest")).version).toBe(2);
    expect((await client.models.versions("churn", { archived: "exclude" })).versions.map((v) => v.version)).toEqual([2, 1]);
    await run.finish();
    // After finish() too: nothing is pending, the run is on the server.
    expect((await run.registerModel("churn", "model/model.json")).version).toBe(4);

    await expect(client.models.get("nope")).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.models.version("churn", 9)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.models.register({ name: "churn", runId: run.id, artifactPath: "not/there.bin" })).rejects.toThrow();
    expect((await client.models.get("churn")).latestVersion).toBe(4);
  });

  it("check() records performance, bias, drift and behaviour with the core figures and statuses; promote passes or throws GateRefusedError", async () => {
    const project = projectName("gate");
    client = new Cairn({ url: srv.url, project });
    const { run, testSetId } = await trainedRun(project);
    const good = await run.registerModel("churn", "model/model.json");
    const bad = await run.registerModel("churn", "bundle");
    await run.finish();
    const testSet = { datasetVersion: { id: testSetId }, role: "test" };

    const perf = (prediction: string) => ({ kind: "performance" as const, task: "classification" as const, data: testRows, label: "y", prediction, dataset: testSet });
    const goodPerf = await client.models.check("churn", good.version, perf("good"));
    expect(goodPerf).toMatchObject({ kind: "performance", status: "passed", source: "client", datasets: [{ datasetVersionId: testSetId, role: "test" }], tool: { name: "@cairn/sdk" } });
    expect(goodPerf.figures.accuracy).toBeCloseTo(5 / 6);
    const badPerf = await client.models.check("churn", bad.version, perf("bad"));
    expect(badPerf.figures.accuracy).toBeCloseTo(2 / 6);

    const bias = await client.models.check("churn", good.version, { kind: "bias", name: "bias:sex", data: testRows, group: "sex", label: "y", prediction: "good", datasets: [testSet] });
    expect(bias).toMatchObject({ name: "bias:sex", status: "passed" });
    expect(bias.figures).toHaveProperty("demographicParityRatio");

    const reference = { x: Array.from({ length: 50 }, (_, i) => i) };
    const drift = await client.models.check("churn", good.version, { kind: "drift", reference, current: { x: reference.x.map((v) => v + 100) } });
    expect(drift).toMatchObject({ status: "failed", figures: { drifted: true, driftedShare: 1 } });
    const noDrift = await client.models.check("churn", good.version, { kind: "drift", reference, current: reference });
    expect(noDrift.status).toBe("passed");

    const behaviour = (predict: (x: { income: number }) => number) =>
      client.models.check("churn", good.version, {
        kind: "behaviour",
        predict,
        cases: [
          { type: "directional", name: "income up", input: { income: 10 }, perturbed: { income: 20 }, expect: "increase" },
          { type: "minimum_functionality", name: "zero", input: { income: 0 }, expected: 0 },
        ],
      });
    expect((await behaviour((x) => x.income * 2)).status).toBe("passed");
    const listed = await client.models.checks("churn", good.version);
    expect(listed.checks.map((c) => c.kind).sort()).toEqual(["behaviour", "bias", "drift", "drift", "performance"]);

    const policy = await client.models.setPolicy("churn", { alias: "production", rules: [{ metric: "accuracy", dataset: "test", min: 0.8 }, { check: "behaviour", allPass: true }] });
    expect(policy).toMatchObject({ alias: "production", revision: 1 });
    expect(await client.models.getPolicy("churn", "production")).toEqual([policy]);
    expect(await client.models.policyHistory("churn", "production")).toEqual([policy]);

    expect((await client.models.evaluate("churn", good.version, "production")).passed).toBe(true);
    const promoted = await client.models.promote("churn", good.version, "production", { reason: "first release" });
    expect(promoted.alias).toMatchObject({ alias: "production", version: good.version });
    expect(promoted.evaluation).toMatchObject({ passed: true, mode: "promote" });

    const refused = await client.models.promote("churn", bad.version, "production", { reason: "try" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GateRefusedError);
    const e = refused as GateRefusedError;
    expect(e.status).toBe(409);
    expect(e.evaluation).toMatchObject({ passed: false, version: bad.version, currentVersion: good.version });
    expect(e.message).toContain(`promotion of churn v${bad.version} to production refused`);
    expect(e.message).toMatch(/rule 1 accuracy on test ≥ 0\.8: observed 0\.3333 \(check [0-9a-f-]{36}\)/);
    expect(e.message).toMatch(/rule 2 behaviour .*no evidence/);
    const alias = await client.models.alias("churn", "production");
    expect(alias.version).toBe(good.version);
    expect(alias.history.map((m) => [m.fromVersion, m.toVersion, m.reason])).toEqual([[null, good.version, "first release"]]);

    // A failing behaviour check now keeps even the good version out of a second alias.
    await client.models.setPolicy("churn", { alias: "staging", rules: [{ check: "behaviour", allPass: true }] });
    await behaviour(() => 1);
    await expect(client.models.promote("churn", good.version, "staging")).rejects.toThrow(/rule 1 behaviour status passed: observed/);
    const removed = await client.models.removeAlias("churn", "production", { reason: "rollback" });
    expect(removed.version).toBeNull();
  });

  it("load() downloads once into a digest-keyed cache, serves the next load from it, re-downloads a damaged file, and works offline by digest", async () => {
    const project = projectName("load");
    const { run, file, dir } = await trainedRun(project);
    const single = await run.registerModel("churn", "model/model.json");
    const folder = await run.registerModel("churn", "bundle");
    await run.finish();
    const admin = new Cairn({ url: srv.url, project });
    await admin.models.promote("churn", single.version, "production"); // no policy: nothing to fail
    const proxy = await countingProxy(srv.url);
    try {
      const c = new Cairn({ url: proxy.url, project });
      const cacheDir = tmp();
      const first = await c.models.load("churn", "production", { cacheDir });
      expect(first).toMatchObject({ downloaded: 1, version: { version: single.version, digest: single.digest } });
      expect(readFileSync(first.path, "utf8")).toBe(readFileSync(file, "utf8"));
      expect(first.path).toBe(join(cacheDir, "models", single.digest, "model.json"));
      expect(proxy.fileGets()).toBe(1);

      const second = await c.models.load("churn", single.version, { cacheDir });
      expect(second).toMatchObject({ downloaded: 0, path: first.path });
      expect(proxy.fileGets()).toBe(1);

      writeFileSync(first.path, "tampered"); // a damaged cache file is detected by its sha256 and fetched again
      const third = await c.models.load("churn", "production", { cacheDir });
      expect(third.downloaded).toBe(1);
      expect(proxy.fileGets()).toBe(2);
      expect(readFileSync(third.path, "utf8")).toBe(readFileSync(file, "utf8"));

      // A folder that lost its manifest (a crash between files) is not an entry: fetched again.
      rmSync(join(cacheDir, "models", single.digest, ".cairn-model.json"));
      expect((await c.models.load("churn", String(single.version), { cacheDir })).downloaded).toBe(1);

      // Bytes that do not match the version's sha256 are never cached.
      const other = tmp();
      proxy.corruptNext = true;
      await expect(c.models.load("churn", single.version, { cacheDir: other })).rejects.toThrow(/arrived with sha256 [0-9a-f]{64} .*nothing was cached/);
      expect(readdirSync(join(other, "models"))).toEqual([]);

      // Concurrent loads of one version (as several workers starting at once) share one whole entry.
      const racing = tmp();
      const loads = await Promise.all([1, 2, 3].map(() => c.models.load("churn", "production", { cacheDir: racing })));
      expect(new Set(loads.map((l) => l.path)).size).toBe(1);
      expect(readFileSync(loads[0]!.path, "utf8")).toBe(readFileSync(file, "utf8"));
      expect(readdirSync(join(racing, "models"))).toEqual([single.digest]);

      const bundle = await c.models.load("churn", folder.version, { cacheDir });
      expect(bundle.downloaded).toBe(2);
      expect(readFileSync(join(bundle.path, "sub", "config.json"), "utf8")).toBe('{"layers":2}');
      for (const f of bundle.files) expect(readFileSync(f.localPath)).toEqual(readFileSync(join(dir, "bundle", f.path)));
      expect((await c.models.load("churn", "latest", { cacheDir })).downloaded).toBe(0);

      await expect(c.models.load("churn", "staging", { cacheDir })).rejects.toBeInstanceOf(NotFoundError);

      await srv.stop();
      try {
        const offline = await c.models.load("churn", { digest: single.digest }, { cacheDir });
        expect(offline).toMatchObject({ downloaded: 0, path: first.path, version: { version: single.version } });
        await expect(c.models.load("churn", { digest: "0".repeat(64) }, { cacheDir })).rejects.toThrow(/not in the cache/);
      } finally {
        await srv.start();
      }
    } finally {
      await proxy.close();
    }
  });
});
