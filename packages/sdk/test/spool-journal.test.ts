import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { uuidv7 } from "@cairn/core";
import { isLockedByOther, openRunSpool, readJournal } from "../src/spool/fs-spool.js";
import { batchFromPoints } from "../src/run/batch.js";
import type { Op } from "../src/run/ops.js";
import { opArb, plain } from "./helpers/ops.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "cairn-journal-test-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const meta = (runId: string) => ({ version: 1 as const, url: "http://x", project: "p", runId, createdAt: new Date().toISOString() });
const metrics = (step: number, n = 1): Op => ({ type: "metrics", batch: batchFromPoints(Array.from({ length: n }, (_, i) => ["loss", 1, step + i, 0] as [string, number, number, number])) });

describe("spool write-ahead journal", () => {
  it("a dead run's journal gives back exactly the ops not marked done, in order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(opArb, fc.boolean()), { maxLength: 40 }), (ops) => {
        const spool = openRunSpool(tmp(), meta(uuidv7()));
        ops.forEach(([op], i) => spool.journal(i + 1, op));
        ops.forEach(([, done], i) => done && spool.journalDone(i + 1));
        // The process dies here: no release(). Read as `cairn sync` does.
        const { ops: left, corrupt } = readJournal(spool.dir);
        expect(corrupt).toBe(0);
        expect(left.map(plain)).toEqual(ops.filter(([, done]) => !done).map(([op]) => plain(op)));
        spool.release();
      }),
      { numRuns: 50 },
    );
  });

  it("skips a torn last line (killed mid-write) and ignores done marks of unknown ops", () => {
    const spool = openRunSpool(tmp(), meta(uuidv7()));
    spool.journal(1, metrics(0));
    spool.journal(2, metrics(1));
    spool.journalDone(99);
    const [wal] = readdirSync(spool.dir).filter((f) => f.endsWith(".jsonl"));
    appendFileSync(join(spool.dir, wal!), '3 {"type":"metrics","poi');
    const { ops, corrupt } = readJournal(spool.dir);
    expect(corrupt).toBe(0);
    expect(ops.map(plain)).toEqual([metrics(0), metrics(1)].map(plain));
    spool.release();
  });

  it("deletes journal files once everything in them is done (acked records do not pile up)", () => {
    const spool = openRunSpool(tmp(), meta(uuidv7()));
    const journalFiles = () => readdirSync(spool.dir).filter((f) => f.startsWith("wal-"));
    const n = 400; // ~8 MB of 1,000-point batches: past the 4 MB rotation size, so several files
    for (let i = 1; i <= n; i++) spool.journal(i, metrics(i * 1000, 1000));
    expect(journalFiles().filter((f) => f.endsWith(".jsonl")).length).toBeGreaterThan(1);
    for (let i = 1; i < n; i++) spool.journalDone(i);
    // Only the file holding the last op is left, and only that op is unfinished.
    expect(journalFiles().filter((f) => f.endsWith(".jsonl")).length).toBe(1);
    expect(readJournal(spool.dir).ops.map(plain)).toEqual([plain(metrics(n * 1000, 1000))]);
    spool.journalDone(n);
    expect(journalFiles()).toEqual([]);
    expect(spool.bytes).toBe(0); // the journal never counted against the segments' cap
    spool.release();
    expect(existsSync(spool.dir)).toBe(false);
  });

  it("a live run's journal is never replayed: locked while this process writes it, until release", () => {
    const spool = openRunSpool(tmp(), meta(uuidv7()));
    spool.journal(1, metrics(0));
    expect(isLockedByOther(spool.dir)).toBe(true);
    spool.release();
    expect(isLockedByOther(spool.dir)).toBe(false);
    expect(existsSync(spool.dir)).toBe(false); // release drops the journal: a clean end leaves nothing
  });
});
