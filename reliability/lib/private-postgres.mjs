// A PostgreSQL cluster of the scenario's own (initdb in a temp dir, its own port), so the
// database-fault scenario can stop it in immediate mode without touching anyone else's.
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./ports.mjs";

const exec = promisify(execFile);

function pgBin() {
  const base = "/usr/lib/postgresql";
  if (!fs.existsSync(base)) return undefined;
  const version = fs.readdirSync(base).sort((a, b) => Number(b) - Number(a))[0];
  return version ? path.join(base, version, "bin") : undefined;
}

/** Whether this machine can run a private cluster (PostgreSQL binaries present). */
export const privatePostgresAvailable = () => pgBin() !== undefined;

export async function startPrivatePostgres() {
  const bin = pgBin();
  if (!bin) throw new Error("PostgreSQL binaries not found under /usr/lib/postgresql");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-rel-pg-"));
  const data = path.join(dir, "data");
  const port = await freePort();
  // PostgreSQL refuses to run as root: run it as the postgres user when we are root.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["-R", "postgres:postgres", dir]);
  const run = (cmd, args) => (asRoot ? exec("runuser", ["-u", "postgres", "--", path.join(bin, cmd), ...args]) : exec(path.join(bin, cmd), args));
  await run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=100`;
  const start = () => run("pg_ctl", ["-D", data, "-o", opts, "-l", path.join(dir, "log"), "-w", "start"]);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    /** Immediate mode: no checkpoint, clients cut off, as a crash would. */
    stopImmediate: () => run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]),
    start,
    async destroy() {
      await run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
