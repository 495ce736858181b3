// CPU accounting from /proc (Linux): who spent the CPU during a measurement — the SDK
// process, the server process, PostgreSQL — and how busy the whole machine was (other
// sessions on a shared machine show up as "other").
import fs from "node:fs";
import os from "node:os";

const TICK_MS = 10; // CLK_TCK = 100 on Linux

function readStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime + stime
  } catch {
    return 0;
  }
}

/** CPU ms of PostgreSQL processes serving `dbName` plus the server's own background processes. */
function postgresCpu(dbName) {
  if (!dbName) return 0;
  let ms = 0;
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    let cmd;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, "utf8").trim() !== "postgres") continue;
      cmd = fs.readFileSync(`/proc/${d}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmd.includes(` ${dbName} `) || /: (checkpointer|background writer|walwriter|autovacuum)/.test(cmd)) ms += readStat(d);
  }
  return ms;
}

function machineCpu() {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + line[4];
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busyMs: (total - idle) * TICK_MS, totalMs: total * TICK_MS };
}

/** Starts a CPU measurement; `stop()` returns ms of CPU per party and the machine's busy share. */
export function cpuMeter({ serverPid, dbName }) {
  const ownPid = process.pid;
  const inProcess = serverPid === ownPid;
  const t0 = performance.now();
  const self0 = process.cpuUsage();
  const srv0 = inProcess ? 0 : readStat(serverPid);
  const pg0 = postgresCpu(dbName);
  const m0 = machineCpu();
  return {
    stop() {
      const wallMs = performance.now() - t0;
      const u = process.cpuUsage(self0);
      const sdkMs = (u.user + u.system) / 1000;
      const serverMs = inProcess ? 0 : readStat(serverPid) - srv0;
      const postgresMs = postgresCpu(dbName) - pg0;
      const m1 = machineCpu();
      const busyMs = m1.busyMs - m0.busyMs;
      const r = (x) => Math.round(x);
      return {
        wallMs: r(wallMs),
        sdkProcessMs: r(sdkMs),
        ...(inProcess ? {} : { serverProcessMs: r(serverMs) }),
        ...(dbName ? { postgresMs: r(postgresMs) } : {}),
        machineBusyMs: r(busyMs),
        otherMs: r(Math.max(0, busyMs - sdkMs - serverMs - postgresMs)),
        machineBusyPct: r((busyMs / ((m1.totalMs - m0.totalMs) || 1)) * 100),
        cores: os.cpus().length,
      };
    },
  };
}
