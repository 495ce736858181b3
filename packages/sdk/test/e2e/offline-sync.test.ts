import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it, vi } from "vitest";
import { init } from "../../src/index.js";
import { Cairn } from "../../src/client/cairn.js";
import { listSpooledRuns } from "../../src/spool/fs-spool.js";
import { CLI, pointCount, projectName, runNode, tmp, serverPerFile } from "./helpers.js";

describe.each(testDrivers)("offline mode and cairn sync (%s)", (driver) => {
  let srv: TestServer;
  serverPerFile(driver, (s) => (srv = s));

  it("offline runs upload exactly once with `cairn sync`; a second sync is a no-op", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const spoolDir = tmp();
    const project = projectName("offline");
    const ids: string[] = [];
    for (let r = 0; r < 2; r++) {
      const run = await init({ project, url: srv.url, spoolDir, mode: "offline", params: { r }, maxBatchPoints: 700 });
      for (let step = 0; step < 1500; step++) run.log({ loss: step, acc: -step }, { step });
      await run.finish();
      expect(run.stats()).toMatchObject({ logged: 3000, spooled: 3000, sent: 0 });
      ids.push(run.id);
    }
    warn.mockRestore();
    expect(listSpooledRuns(spoolDir)).toHaveLength(2);
    expect(await srv.query("select id from runs where id = any($1::uuid[])", [ids])).toEqual([]);

    const first = await runNode([CLI, "sync", "--spool-dir", spoolDir, "--url", srv.url]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("2 of 2 runs synced");
    for (const id of ids) expect(await pointCount(srv, id)).toBe(3000);
    expect(listSpooledRuns(spoolDir)).toEqual([]);

    const second = await runNode([CLI, "sync", "--spool-dir", spoolDir, "--url", srv.url]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("nothing to sync");
    const client = new Cairn({ url: srv.url });
    const runs = await client.runs.search({ project });
    expect(runs.runs.map((r) => r.status)).toEqual(["finished", "finished"]);
    expect(runs.runs.map((r) => r.params.r).sort()).toEqual([0, 1]);
  });

  it("sync leaves runs in the spool and exits 1 when the server is unreachable", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const spoolDir = tmp();
    const run = await init({ project: projectName("unreach"), url: srv.url, spoolDir, mode: "offline" });
    run.log({ a: 1 });
    await run.finish();
    warn.mockRestore();
    const res = await runNode([CLI, "sync", "--spool-dir", spoolDir, "--url", "http://127.0.0.1:1", "--retry-window-ms", "500"]);
    expect(res.code).toBe(1);
    expect(listSpooledRuns(spoolDir)).toHaveLength(1);
  });

  it("the CLI lists and gets runs, and returns 2 on usage errors", async () => {
    const project = projectName("cli");
    const run = await init({ project, url: srv.url, spoolDir: tmp(), name: "cli-run" });
    run.log({ acc: 0.5 });
    await run.finish();
    const env = { CAIRN_URL: srv.url };
    const list = await runNode([CLI, "runs", "list", "--project", project, "--json"], { env });
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { runs: Array<{ id: string }> }).runs.map((r) => r.id)).toEqual([run.id]);
    const table = await runNode([CLI, "runs", "list", "--project", project, "--filter", "metrics.acc > 0.1", "--order-by", "metrics.acc desc"], { env });
    expect(table.stdout).toContain("cli-run");
    const get = await runNode([CLI, "runs", "get", run.id], { env });
    expect(JSON.parse(get.stdout)).toMatchObject({ id: run.id, status: "finished" });
    const projects = await runNode([CLI, "projects", "list"], { env });
    expect(projects.stdout).toContain(project);
    expect((await runNode([CLI, "runs", "list"], { env })).code).toBe(2);
    expect((await runNode([CLI, "--nope"], { env })).code).toBe(2);
    expect((await runNode([CLI, "runs", "get", "01900000-0000-7000-8000-000000000000"], { env })).code).toBe(1);
    const bad = await runNode([CLI, "runs", "list", "--project", project, "--filter", "metrics.acc >> 1"], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("invalid_filter");
  });
});
