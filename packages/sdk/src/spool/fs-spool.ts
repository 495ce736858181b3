// Node-only: loaded through dynamic import() so the browser bundle never references node:fs.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { decodeOp, encodeOp, opPoints, type Op } from "../run/ops.js";
import type { ReadResult, RunSpool, SpoolMeta } from "./types.js";

const SEGMENT_RE = /^(\d{10})\.jsonl$/;
const JOURNAL_RE = /^wal-(\d{10})\.(jsonl|done)$/;
/** A journal file takes no more ops past this size; it is deleted once all of its ops are done. */
const JOURNAL_ROTATE_BYTES = 4 * 1024 * 1024;
/** The current journal file is deleted (rather than gain a done mark) once all its ops are done and it is this big. */
const JOURNAL_COMPACT_BYTES = 256 * 1024;
/**
 * Folders whose journal this process is writing: `cairn sync` run in the same process (tests,
 * a notebook) must not replay a live run's journal, and the lock's pid cannot tell (it is ours).
 */
const liveJournals = new Set<string>();

const walName = (n: number, ext: "jsonl" | "done"): string => `wal-${String(n).padStart(10, "0")}.${ext}`;

function journalNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => JOURNAL_RE.test(f))
    .sort();
}

/**
 * The journaled ops of a dead run that are not marked done, in the order they were logged
 * (`cairn sync` replays them). A torn last line (killed mid-write) is skipped.
 */
export function readJournal(dir: string): ReadResult {
  const names = journalNames(dir);
  const done = new Set<number>();
  for (const f of names) {
    if (!f.endsWith(".done")) continue;
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) if (/^\d+$/.test(line)) done.add(Number(line));
  }
  const found: Array<{ seq: number; op: Op }> = [];
  let corrupt = 0;
  for (const f of names) {
    if (!f.endsWith(".jsonl")) continue;
    const lines = readFileSync(join(dir, f), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === "") continue;
      const space = line.indexOf(" ");
      const seq = Number(line.slice(0, space));
      if (space > 0 && Number.isInteger(seq) && done.has(seq)) continue;
      try {
        if (space <= 0 || !Number.isInteger(seq)) throw new SyntaxError("no sequence number");
        found.push({ seq, op: decodeOp(line.slice(space + 1)) });
      } catch {
        if (i !== lines.length - 1) corrupt++;
      }
    }
  }
  found.sort((a, b) => a.seq - b.seq);
  return { ops: found.map((f) => f.op), corrupt };
}

/** Deletes a run's journal files. */
export function removeJournal(dir: string): void {
  for (const f of journalNames(dir)) rmSync(join(dir, f), { force: true });
}

export function hasJournal(dir: string): boolean {
  return journalNames(dir).length > 0;
}
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
  if (liveJournals.has(resolve(dir))) return true;
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
  // The write-ahead journal: which file each unfinished seq is in, and how many are unfinished per file.
  const journalOf = new Map<number, number>();
  const unfinished = new Map<number, number>();
  let journalCurrent: number | undefined;
  let journalBytes = 0;
  let journalNext = 1;

  function ensureDir(): void {
    if (ready) return;
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, "meta.json"))) writeFileSync(join(dir, "meta.json"), `${JSON.stringify(meta)}\n`);
    if (lock) writeFileSync(join(dir, "lock"), String(process.pid));
    const names = segmentNames(dir);
    totalBytes = names.reduce((n, s) => n + statSync(join(dir, s)).size, 0);
    const last = names.at(-1);
    next = last ? Number(SEGMENT_RE.exec(last)![1]) + 1 : 1;
    const lastJournal = journalNames(dir).at(-1);
    journalNext = lastJournal ? Number(JOURNAL_RE.exec(lastJournal)![1]) + 1 : 1;
    ready = true;
  }

  function dropJournal(): void {
    for (const f of journalNames(dir)) rmSync(join(dir, f), { force: true });
    journalOf.clear();
    unfinished.clear();
    journalCurrent = undefined;
    journalBytes = 0;
    liveJournals.delete(resolve(dir));
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
    journal(seq, op) {
      ensureDir();
      liveJournals.add(resolve(dir));
      if (journalCurrent === undefined || journalBytes >= JOURNAL_ROTATE_BYTES) {
        journalCurrent = journalNext++;
        journalBytes = 0;
        unfinished.set(journalCurrent, 0);
      }
      const line = `${seq} ${encodeOp(op)}\n`;
      appendFileSync(join(dir, walName(journalCurrent, "jsonl")), line);
      journalBytes += line.length;
      unfinished.set(journalCurrent, unfinished.get(journalCurrent)! + 1);
      journalOf.set(seq, journalCurrent);
    },
    journalDone(seq) {
      const file = journalOf.get(seq);
      if (file === undefined) return;
      journalOf.delete(seq);
      const left = unfinished.get(file)! - 1;
      unfinished.set(file, left);
      // Compaction: a journal file whose ops are all done is deleted, so acknowledged records
      // stay on disk only while their file still has a sibling in flight.
      if (left === 0 && (file !== journalCurrent || journalBytes >= JOURNAL_COMPACT_BYTES)) {
        rmSync(join(dir, walName(file, "jsonl")), { force: true });
        rmSync(join(dir, walName(file, "done")), { force: true });
        unfinished.delete(file);
        if (file === journalCurrent) journalCurrent = undefined;
        return;
      }
      appendFileSync(join(dir, walName(file, "done")), `${seq}\n`);
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
      // Called after the sender spilled everything unacknowledged into segments: the journal holds nothing else.
      dropJournal();
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
