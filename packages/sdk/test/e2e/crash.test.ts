import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { type Server, type Socket, createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it } from "vitest";
import { listSpooledRuns, segmentNames } from "../../src/spool/fs-spool.js";
import { CLI, SDK_DIST, projectName, runNode, serverPerFile, tmp } from "./helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/log-until-killed.mjs", import.meta.url));
const FLUSH_INTERVAL_MS = 200;
/** Allowance for the journal write itself (and the timer firing late on a loaded machine). */
const WRITE_MARGIN_MS = 50;

/** A server that takes connections and never answers: nothing is ever acknowledged. */
async function blackHole(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const s: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(s.address() as { port: number }).port}`,
    close: async () => {
      for (const sock of sockets) sock.destroy();
      await new Promise((r) => s.close(r));
    },
  };
}

/** Starts the logging child, SIGKILLs it `killAfterMs` after its run started logging; returns the progress and the kill time. */
async function logThenKill(url: string, spoolDir: string, killAfterMs: number): Promise<{ runId: string; marks: Array<{ step: number; at: number }>; killedAt: number }> {
  const progress = join(tmp(), "progress.log");
  const env = { ...process.env, CAIRN_URL: url, CAIRN_SPOOL_DIR: spoolDir, CAIRN_PROJECT: projectName("crash"), FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS) };
  const child = spawn(process.execPath, [FIXTURE, SDK_DIST, progress], { env, stdio: "ignore" });
  const exited = new Promise((r) => child.on("exit", r));
  const t0 = Date.now();
  while (!existsSync(progress) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, killAfterMs));
  const killedAt = Date.now();
  child.kill("SIGKILL");
  await exited;
  const lines = readFileSync(progress, "utf8").split("\n");
  const marks = lines
    .slice(1)
    .map((l) => /^(\d+) (\d+)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ step: Number(m[1]), at: Number(m[2]) }));
  return { runId: lines[0]!.slice(4), marks, killedAt };
}

async function steps(srv: TestServer, runId: string): Promise<Array<{ step: number; n: number }>> {
  return srv.query<{ step: number; n: number }>(
    "select p.step::int as step, count(*)::int as n from metric_points p join metric_series s on s.id = p.series_id where s.run_id = $1 group by p.step order by p.step",
    [runId],
  );
}

describe.each(testDrivers)("SIGKILL with a spool, then cairn sync (%s)", (driver) => {
  let srv: TestServer;
  serverPerFile(driver, (s) => (srv = s));

  // Black hole: nothing is acknowledged and nothing reaches a spool segment (the retry window is
  // a minute), so only the write-ahead journal has the points. Real server: most batches are
  // acknowledged, some in flight or acked without their done mark; sync must not duplicate them.
  for (const target of ["a server that never answers", "the real server"] as const) {
    it(`every point logged a flush interval before the kill is delivered exactly once (${target})`, async () => {
      const hole = target === "the real server" ? undefined : await blackHole();
      const spoolDir = tmp();
      try {
        const { runId, marks, killedAt } = await logThenKill(hole?.url ?? srv.url, spoolDir, 1_500);
        const due = marks.filter((m) => m.at <= killedAt - FLUSH_INTERVAL_MS - WRITE_MARGIN_MS).pop()?.step ?? -1;
        expect(due).toBeGreaterThan(100); // the check has something to check
        const [spooled] = listSpooledRuns(spoolDir);
        expect(spooled?.meta.runId).toBe(runId);
        if (hole) expect(segmentNames(spooled!.dir)).toEqual([]); // not spooled the old way: journaled

        const sync = await runNode([CLI, "sync", "--spool-dir", spoolDir, "--url", srv.url]);
        expect(sync.code, sync.stderr).toBe(0);
        const got = await steps(srv, runId);
        const counts = new Map(got.map((r) => [r.step, r.n]));
        const missing = [...Array(due + 1).keys()].filter((s) => !counts.has(s));
        expect(missing).toEqual([]);
        expect(got.filter((r) => r.n !== 1)).toEqual([]); // exactly once
        expect(listSpooledRuns(spoolDir)).toEqual([]); // and the journal is gone
        // A second sync finds nothing to do.
        const again = await runNode([CLI, "sync", "--spool-dir", spoolDir, "--url", srv.url]);
        expect(again.code).toBe(0);
        expect(await steps(srv, runId)).toEqual(got);
      } finally {
        await hole?.close();
      }
    }, 60_000);
  }
});
