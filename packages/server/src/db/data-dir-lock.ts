import fs from "node:fs";
import path from "node:path";

/**
 * PGlite has no data-directory lock: two processes on one directory both open it and
 * corrupt it. We hold a lock file with our pid and refuse to start when a live
 * process holds it; a stale file (its process is gone) is taken over.
 */
export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "cairn.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(file, "utf8") === String(process.pid)) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(fs.readFileSync(file, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DataDirLockedError(
          `the data directory ${dir} is in use by another Cairn server (pid ${pid}); ` +
            "stop it, or point CAIRN_DATA_DIR elsewhere, or use CAIRN_DATABASE_URL for several servers",
        );
      }
      if (pid === process.pid) {
        throw new DataDirLockedError(`the data directory ${dir} is already open in this process`);
      }
      fs.unlinkSync(file); // stale lock from a dead process
    }
  }
  throw new DataDirLockedError(`could not lock the data directory ${dir}`);
}
