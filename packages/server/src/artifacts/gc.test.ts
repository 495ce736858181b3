import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { call, newProject, newRun } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { artifactUrl, rawRequest, testStores, useArtifactServer } from "./artifacts.testutil.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const combos = testDrivers.flatMap((d) => testStores.map((s) => [d, s] as const));

describe.each(combos)("artifact garbage collection (%s, %s store)", (driver, store) => {
  const env = useArtifactServer(driver, store);
  const put = (runId: string, p: string, body: Buffer) => rawRequest(env().srv.url, { method: "PUT", path: artifactUrl(runId, p), apiKey: env().srv.apiKey, body });
  const stat = (s: string) => env().srv.server()!.ctx.blobStore.stat(s);
  const gc = (body: Record<string, unknown>) => call(env().srv, "POST", "/api/v1/admin/gc", body);

  it("reclaims a purged run's blobs and keeps a blob shared with a live run", async () => {
    const srv = env().srv;
    const project = await newProject(srv);
    const doomed = await newRun(srv, project);
    const live = await newRun(srv, await newProject(srv));
    const shared = randomBytes(4096);
    const own = randomBytes(2048);
    expect((await put(doomed.id, "shared.bin", shared)).status).toBe(201);
    expect((await put(live.id, "copy/shared.bin", shared)).status).toBe(201);
    expect((await put(doomed.id, "own.bin", own)).status).toBe(201);

    const purge = await call(srv, "DELETE", `/api/v1/runs/${doomed.id}?purge=true`);
    expect(purge.status, JSON.stringify(purge.body)).toBe(200);
    expect(await srv.query("select 1 from artifacts where run_id = $1", [doomed.id])).toHaveLength(0);

    // Within the grace period nothing goes; the dry run lists without removing.
    expect((await gc({ dryRun: true, purgeExpired: false })).body.blobs.map((b: { sha256: string }) => b.sha256)).not.toContain(sha(own));
    const dry = (await gc({ dryRun: true, graceHours: 0, purgeExpired: false })).body;
    expect(dry.dryRun).toBe(true);
    expect(dry.blobs).toContainEqual({ sha256: sha(own), size: own.length });
    expect(dry.blobs.map((b: { sha256: string }) => b.sha256)).not.toContain(sha(shared));
    expect(await stat(sha(own))).toBeDefined();

    const real = await gc({ dryRun: false, graceHours: 0, purgeExpired: true });
    expect(real.status, JSON.stringify(real.body)).toBe(200);
    expect(real.body.blobs).toContainEqual({ sha256: sha(own), size: own.length });
    expect(real.body.reclaimedBytes).toBeGreaterThanOrEqual(own.length);
    expect(await stat(sha(own))).toBeUndefined();
    expect(await stat(sha(shared))).toEqual({ size: shared.length });
    const down = await rawRequest(srv.url, { method: "GET", path: artifactUrl(live.id, "copy/shared.bin"), apiKey: srv.apiKey });
    expect(sha(down.body)).toBe(sha(shared));
    expect(await srv.query("select 1 from blobs where sha256 = $1", [sha(own)])).toHaveLength(0);

    // The same content uploaded again after collection is stored again.
    expect((await put(live.id, "own-again.bin", own)).status).toBe(201);
    expect(await stat(sha(own))).toEqual({ size: own.length });

    const events = (await call(srv, "GET", "/api/v1/audit?limit=5")).body.events as Array<{ action: string; after: any }>;
    const ev = events.find((e) => e.action === "gc.run")!;
    expect(ev.after.blobs).toBeGreaterThanOrEqual(1);
    expect(ev.after.reclaimedBytes).toBeGreaterThanOrEqual(own.length);
  });

  it("needs an admin key for all projects", async () => {
    const srv = env().srv;
    const project = await newProject(srv);
    const writer = (await call(srv, "POST", "/api/v1/keys", { name: "w", role: "writer", projects: [project] })).body;
    const scopedAdmin = (await call(srv, "POST", "/api/v1/keys", { name: "a", role: "admin", projects: [project] })).body;
    expect((await call({ url: srv.url, apiKey: writer.secret }, "POST", "/api/v1/admin/gc", { dryRun: true })).status).toBe(403);
    expect((await call({ url: srv.url, apiKey: scopedAdmin.secret }, "POST", "/api/v1/admin/gc", { dryRun: true })).status).toBe(403);
    expect((await gc({ dryRun: "yes" })).status).toBe(400);
  });

  it.runIf(store === "fs")("removes stale temporary uploads and unrecorded blob files older than a day", async () => {
    const { storeDir } = env();
    const old = new Date(Date.now() - 2 * 86_400_000);
    const staleTmp = path.join(storeDir, "tmp", "stale.part");
    const freshTmp = path.join(storeDir, "tmp", "fresh.part");
    fs.writeFileSync(staleTmp, "x");
    fs.utimesSync(staleTmp, old, old);
    fs.writeFileSync(freshTmp, "y");
    const orphanSha = sha(randomBytes(8));
    const orphan = path.join(storeDir, orphanSha.slice(0, 2), orphanSha.slice(2, 4), orphanSha);
    fs.mkdirSync(path.dirname(orphan), { recursive: true });
    fs.writeFileSync(orphan, "z");
    fs.utimesSync(orphan, old, old);
    const dry = (await gc({ dryRun: true, purgeExpired: false })).body;
    expect(dry).toMatchObject({ staleTempFiles: 1, orphanObjects: 1 });
    expect(fs.existsSync(staleTmp)).toBe(true);
    const real = (await gc({ dryRun: false, purgeExpired: false })).body;
    expect(real).toMatchObject({ staleTempFiles: 1, orphanObjects: 1 });
    expect(fs.existsSync(staleTmp)).toBe(false);
    expect(fs.existsSync(orphan)).toBe(false);
    expect(fs.existsSync(freshTmp)).toBe(true);
    fs.rmSync(freshTmp);
  });
});

describe.each(testDrivers)("periodic maintenance (%s)", (driver) => {
  // Every 300 ms, no grace: the timer collects without being asked.
  const env = useArtifactServer(driver, "fs", { CAIRN_MAINTENANCE_INTERVAL_MINUTES: "0.005", CAIRN_GC_GRACE_HOURS: "0" });

  it("collects an unreferenced blob on its own and audits it as the system", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    const content = randomBytes(100);
    expect((await rawRequest(srv.url, { method: "PUT", path: artifactUrl(run.id, "tmp.bin"), apiKey: srv.apiKey, body: content })).status).toBe(201);
    expect((await rawRequest(srv.url, { method: "DELETE", path: artifactUrl(run.id, "tmp.bin"), apiKey: srv.apiKey })).status).toBe(200);
    const store = srv.server()!.ctx.blobStore;
    const deadline = Date.now() + 10_000;
    while ((await store.stat(sha(content))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await store.stat(sha(content))).toBeUndefined();
    // The blob goes before the run's audit event is written: wait for the event too.
    const auditedBy = async () =>
      (await srv.query<{ actor_name: string }>("select actor_name from audit_events where action = 'gc.run' order by seq desc limit 1"))[0]?.actor_name;
    while (!(await auditedBy()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await auditedBy()).toBe("system");
  });
});
