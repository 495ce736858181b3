import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { uuidv7 } from "@cairn/core";
import { listSpooledRuns, openRunSpool } from "../src/spool/fs-spool.js";
import { decodeOp, encodeOp, type Op } from "../src/run/ops.js";
import { batchFromPoints } from "../src/run/batch.js";
import { opArb, plain } from "./helpers/ops.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "cairn-spool-test-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const meta = (runId: string) => ({ version: 1 as const, url: "http://x", project: "p", runId, createdAt: new Date().toISOString() });

describe("spool", () => {
  it("encodes and decodes any op", () => {
    fc.assert(
      fc.property(opArb, (op) => {
        expect(plain(decodeOp(encodeOp(op)))).toEqual(plain(op));
      }),
    );
  });

  it("round-trips any sequence of ops, in order, across appends and rotations", () => {
    const root = tmp();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(opArb, { maxLength: 5 }), fc.boolean()), { maxLength: 12 }), (chunks) => {
        const spool = openRunSpool(root, meta(uuidv7()));
        const written: Op[] = [];
        for (const [ops, rotate] of chunks) {
          spool.append(ops);
          written.push(...ops);
          if (rotate) spool.rotate();
        }
        const read = spool.segments().flatMap((s) => spool.read(s).ops);
        expect(read.map(plain)).toEqual(written.map(plain));
        for (const s of spool.segments()) spool.remove(s);
        spool.release();
        expect(existsSync(spool.dir)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it("ignores a torn last line and resumes numbering after existing segments", () => {
    const root = tmp();
    const m = meta(uuidv7());
    const spool = openRunSpool(root, m);
    spool.append([{ type: "project", name: "a" }, { type: "params", params: { x: 1 } }]);
    const [seg] = spool.segments();
    appendFileSync(join(spool.dir, seg!), '{"type":"upd'); // the process died mid-write
    expect(spool.read(seg!)).toEqual({ ops: [{ type: "project", name: "a" }, { type: "params", params: { x: 1 } }], corrupt: 0 });
    spool.release();
    // A second writer (e.g. after a restart) appends to a new segment after the old ones.
    const again = openRunSpool(root, m);
    again.append([{ type: "update", body: { notes: "n" } }]);
    expect(again.segments()).toEqual(["0000000001.jsonl", "0000000002.jsonl"]);
    expect(listSpooledRuns(root).map((r) => r.meta.runId)).toEqual([m.runId]);
  });

  it("creates nothing on disk until something is spooled, and keeps data on release", () => {
    const root = tmp();
    const spool = openRunSpool(root, meta(uuidv7()));
    expect(readdirSync(root)).toEqual([]);
    spool.append([{ type: "project", name: "a" }]);
    expect(readdirSync(spool.dir).sort()).toEqual(["0000000001.jsonl", "lock", "meta.json"]);
    spool.release();
    expect(readdirSync(spool.dir).sort()).toEqual(["0000000001.jsonl", "meta.json"]);
    expect(spool.hasData()).toBe(true);
  });

  it("keeps under its byte cap: points over it are dropped and counted, ops without points still go in", () => {
    const root = tmp();
    const spool = openRunSpool(root, meta(uuidv7()), { maxBytes: 2_000 });
    const batchOp = (from: number): Op => ({ type: "metrics", batch: batchFromPoints(Array.from({ length: 20 }, (_, i) => ["loss", 0.5, from + i, 1_700_000_000_000] as const)) });
    let written = 0;
    let dropped = 0;
    for (let i = 0; i < 50; i++) {
      const r = spool.append([batchOp(i * 20)]);
      written += r.points;
      dropped += r.droppedPoints;
    }
    expect(written + dropped).toBe(1_000);
    expect(dropped).toBeGreaterThan(0);
    expect(spool.bytes).toBeLessThanOrEqual(2_000);
    const status = spool.append([{ type: "update", body: { status: "finished" } }]);
    expect(status).toEqual({ points: 0, droppedPoints: 0 });
    const ops = spool.segments().flatMap((s) => spool.read(s).ops);
    expect(ops.at(-1)).toEqual({ type: "update", body: { status: "finished" } });
    expect(ops.reduce((n, o) => n + (o.type === "metrics" ? o.batch.length : 0), 0)).toBe(written);
    // Uploaded segments free their space: new points fit again.
    for (const s of spool.segments()) spool.remove(s);
    expect(spool.bytes).toBe(0);
    expect(spool.append([batchOp(5_000)]).points).toBe(20);
  });
});
