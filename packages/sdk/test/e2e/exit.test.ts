import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it } from "vitest";
import { listSpooledRuns, readSegment, segmentNames } from "../../src/spool/fs-spool.js";
import { join } from "node:path";
import { CLI, SDK_DIST, pointCount, projectName, runNode, tmp, serverPerFile } from "./helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/log-and-exit.mjs", import.meta.url));

/** A port nothing listens on: connections are refused, like a server that is down. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe.each(testDrivers)("process exit (%s)", (driver) => {
  let srv: TestServer;
  serverPerFile(driver, (s) => (srv = s));

  it("exits within the flush deadline with the server down and leaves everything in the spool", async () => {
    const spoolDir = tmp();
    const project = projectName("exit");
    const deadline = 2_000;
    const res = await runNode([FIXTURE, SDK_DIST, "exit"], {
      env: { CAIRN_URL: `http://127.0.0.1:${await deadPort()}`, CAIRN_SPOOL_DIR: spoolDir, CAIRN_PROJECT: project, FLUSH_DEADLINE_MS: String(deadline) },
    });
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, number & string>);
    const { runId, logged } = lines[0] as unknown as { runId: string; logged: number };
    const { exitAfterMs } = lines.at(-1) as unknown as { exitAfterMs: number };
    expect(exitAfterMs).toBeGreaterThanOrEqual(deadline - 100); // it did wait for the server...
    expect(exitAfterMs).toBeLessThan(deadline + 1_000); // ...but no longer than the deadline
    expect(res.stderr).toContain("cairn sync");

    const [spooled] = listSpooledRuns(spoolDir);
    expect(spooled?.meta).toMatchObject({ runId, project });
    const ops = segmentNames(spooled!.dir).flatMap((s) => readSegment(join(spooled!.dir, s)).ops);
    expect(ops.map((o) => o.type).filter((t) => t !== "metrics")).toEqual(["project", "run", "update"]);
    expect(ops.reduce((n, o) => n + (o.type === "metrics" ? o.batch.length : 0), 0)).toBe(logged);

    // ...and `cairn sync` uploads it to the server that is now up.
    const sync = await runNode([CLI, "sync", "--spool-dir", spoolDir, "--url", srv.url]);
    expect(sync.code).toBe(0);
    expect(await pointCount(srv, runId)).toBe(logged);
    const [run] = await srv.query<{ status: string }>("select status from runs where id = $1", [runId]);
    expect(run?.status).toBe("finished");
  });

  it("exits within the flush deadline when the server takes connections and never answers (black hole)", async () => {
    // Requests in flight to a server that never answers held the event loop open (fetch
    // keeps its socket ref'd), so `beforeExit` never came and the process hung for the
    // request timeout and retry window instead of the flush deadline (reliability suite).
    const sockets = new Set<import("node:net").Socket>();
    const hole = createServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
    });
    await new Promise<void>((r) => hole.listen(0, "127.0.0.1", r));
    const port = (hole.address() as { port: number }).port;
    try {
      const spoolDir = tmp();
      const deadline = 2_000;
      const res = await runNode([FIXTURE, SDK_DIST, "exit"], {
        env: { CAIRN_URL: `http://127.0.0.1:${port}`, CAIRN_SPOOL_DIR: spoolDir, CAIRN_PROJECT: projectName("hole"), FLUSH_DEADLINE_MS: String(deadline) },
      });
      expect(res.code).toBe(0);
      const lines = res.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
      const { logged } = lines[0] as { logged: number };
      const { exitAfterMs } = lines.at(-1) as { exitAfterMs: number };
      expect(exitAfterMs).toBeLessThan(deadline + 1_500);
      expect(res.stderr).toContain("cairn sync");
      const [spooled] = listSpooledRuns(spoolDir);
      const ops = segmentNames(spooled!.dir).flatMap((s) => readSegment(join(spooled!.dir, s)).ops);
      expect(ops.reduce((n, o) => n + (o.type === "metrics" ? o.batch.length : 0), 0)).toBe(logged);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hole.close(r));
    }
  }, 30_000);

  it("on SIGTERM flushes, marks the run killed and re-raises the signal", async () => {
    const spoolDir = tmp();
    let info: { runId: string } | undefined;
    const res = await runNode([FIXTURE, SDK_DIST, "signal"], {
      env: { CAIRN_URL: srv.url, CAIRN_SPOOL_DIR: spoolDir, CAIRN_PROJECT: projectName("sig") },
      onStdout: (_chunk, kill, stdout) => {
        if (info || !stdout.includes("\n")) return;
        info = JSON.parse(stdout.split("\n")[0]!) as { runId: string };
        setTimeout(() => kill("SIGTERM"), 300);
      },
    });
    expect(res.signal).toBe("SIGTERM");
    const [run] = await srv.query<{ status: string }>("select status from runs where id = $1", [info!.runId]);
    expect(run?.status).toBe("killed");
    expect(await pointCount(srv, info!.runId)).toBeGreaterThanOrEqual(2000);
    expect(listSpooledRuns(spoolDir)).toEqual([]);
  });
});
