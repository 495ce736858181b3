// Node-only: loaded through dynamic import() so the browser bundle never references node:fs.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeOp, encodeOp, opPoints, type Op } from "../run/ops.js";
import type { ReadResult, RunSpool, SpoolMeta } from "./types.js";

const SEGMENT_RE = /^(\d{10})\.jsonl$/;
/** Segments are bounded so replay holds at most this much in memory. */
const MAX_SEGMENT_BYTES = 8 * 1024 * 1024;

export function segmentNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => SEGMENT_RE.test(f))
    .sort();
}

export function readSegment(path: string): ReadResult {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const ops: Op[] = [];
  let corrupt = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    try {
      ops.push(decodeOp(line));
    } catch {
      // A torn final line (the process died mid-write) was never acknowledged as written: skip it quietly.
      if (i !== lines.length - 1) corrupt++;
    }
  }
  return { ops, corrupt };
}

export function readMeta(dir: string): SpoolMeta | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Partial<SpoolMeta>;
    if (m.version === 1 && typeof m.url === "string" && typeof m.project === "string" && typeof m.runId === "string") {
      return m as SpoolMeta;
    }
  } catch {
    // missing or unreadable meta: not a run folder we can replay
  }
  return undefined;
}

/** True when another live process holds the run's lock. */
export function isLockedByOther(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, "lock"), "utf8").trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Opens (lazily creating on first append) the spool folder of one run. */
export function openRunSpool(spoolDir: string, meta: SpoolMeta, opts: { lock?: boolean; maxBytes?: number } = {}): RunSpool {
  const dir = join(spoolDir, meta.runId);
  const lock = opts.lock ?? true;
  const maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  let current: string | undefined;
  let currentBytes = 0;
  /** Bytes in this run's segments (what it spooled before, too): kept under maxBytes. */
  let totalBytes = 0;
  let next = 1;
  let ready = false;

  function ensureDir(): void {
    if (ready) return;
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, "meta.json"))) writeFileSync(join(dir, "meta.json"), `${JSON.stringify(meta)}\n`);
    if (lock) writeFileSync(join(dir, "lock"), String(process.pid));
    const names = segmentNames(dir);
    totalBytes = names.reduce((n, s) => n + statSync(join(dir, s)).size, 0);
    const last = names.at(-1);
    next = last ? Number(SEGMENT_RE.exec(last)![1]) + 1 : 1;
    ready = true;
  }

  return {
    dir,
    append(ops) {
      if (ops.length === 0) return { points: 0, droppedPoints: 0 };
      ensureDir();
      let points = 0;
      let droppedPoints = 0;
      let text = "";
      for (const op of ops) {
        const line = `${encodeOp(op)}\n`;
        const n = opPoints(op);
        // Over the cap, ops with points are dropped (and counted by the caller); ops without
        // points (run updates, params: a few hundred bytes) still go in, so the run's status
        // and params survive a full spool.
        if (n > 0 && totalBytes + text.length + line.length > maxBytes) {
          droppedPoints += n;
          continue;
        }
        text += line;
        points += n;
      }
      if (text === "") return { points, droppedPoints };
      if (current === undefined || currentBytes >= MAX_SEGMENT_BYTES) {
        current = `${String(next++).padStart(10, "0")}.jsonl`;
        currentBytes = 0;
      }
      appendFileSync(join(dir, current), text);
      currentBytes += text.length;
      totalBytes += text.length;
      return { points, droppedPoints };
    },
    get bytes() {
      return totalBytes;
    },
    rotate() {
      current = undefined;
    },
    segments() {
      return segmentNames(dir);
    },
    read(segment) {
      return readSegment(join(dir, segment));
    },
    remove(segment) {
      if (segment === current) current = undefined;
      try {
        totalBytes = Math.max(0, totalBytes - statSync(join(dir, segment)).size);
      } catch {
        // already gone
      }
      rmSync(join(dir, segment), { force: true });
    },
    hasData() {
      return segmentNames(dir).some((s) => statSync(join(dir, s)).size > 0);
    },
    release() {
      if (!existsSync(dir)) return;
      if (segmentNames(dir).length === 0) rmSync(dir, { recursive: true, force: true });
      else if (lock) rmSync(join(dir, "lock"), { force: true });
      ready = false;
      current = undefined;
    },
  };
}

/** Run folders under a spool directory (those with a readable meta file). */
export function listSpooledRuns(spoolDir: string): Array<{ dir: string; meta: SpoolMeta }> {
  if (!existsSync(spoolDir)) return [];
  const out: Array<{ dir: string; meta: SpoolMeta }> = [];
  for (const name of readdirSync(spoolDir).sort()) {
    const dir = join(spoolDir, name);
    const meta = readMeta(dir);
    if (meta) out.push({ dir, meta });
  }
  return out;
}

export function removeSegment(dir: string, segment: string): void {
  unlinkSync(join(dir, segment));
}
