import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BlockWriter, type BlockSink } from "./block-writer.js";

/**
 * A file in memory: writes land at their position, at most `maxPerCall` bytes per call (short
 * writes), each after a random delay so that writes in flight finish out of order.
 */
function memorySink(maxPerCall = Number.POSITIVE_INFINITY, delays: number[] = []) {
  let file = Buffer.alloc(0);
  let calls = 0;
  const sink: BlockSink = {
    async write(data, offset, length, position) {
      const delay = delays[calls++ % Math.max(1, delays.length)] ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const n = Math.min(length, maxPerCall);
      if (file.length < position + n) file = Buffer.concat([file, Buffer.alloc(position + n - file.length)]);
      file.set(data.subarray(offset, offset + n), position);
      return { bytesWritten: n };
    },
  };
  return { sink, bytes: () => file };
}

const chunksArb = fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 40 });

describe("BlockWriter", () => {
  it("writes exactly the pushed bytes, in order, whatever the chunking, block size and short writes", async () => {
    await fc.assert(
      fc.asyncProperty(
        chunksArb,
        fc.integer({ min: 1, max: 257 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5 }),
        fc.boolean(),
        async (chunks, blockBytes, maxPerCall, blocks, delays, shared) => {
        const { sink, bytes } = memorySink(maxPerCall, delays);
        const seen: Uint8Array[] = [];
        const w = new BlockWriter(sink, { blockBytes, blocks, shared, digest: { update: async (d, n) => void seen.push(d.slice(0, n)) } });
        for (const c of chunks) await w.push(c);
        await w.end();
        const expected = Buffer.concat(chunks);
        expect(bytes().equals(expected)).toBe(true);
        // The digest sees the same bytes, block by block, each one whole except the last.
        expect(Buffer.concat(seen).equals(expected)).toBe(true);
        expect(seen.slice(0, -1).every((b) => b.length === blockBytes)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("takes a chunk without waiting while a block is free, and asks the caller to wait when both are busy", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sink: BlockSink = {
      async write(_d, _o, length) {
        await gate;
        return { bytesWritten: length };
      },
    };
    const w = new BlockWriter(sink, { blockBytes: 4 });
    expect(w.push(new Uint8Array(3))).toBeUndefined();
    expect(w.push(new Uint8Array(1))).toBeUndefined(); // block 1 full: handed to the sink
    expect(w.push(new Uint8Array(3))).toBeUndefined(); // block 2 filling
    const waiting = w.push(new Uint8Array(2)); // block 2 full while block 1 is still being written
    expect(waiting).toBeInstanceOf(Promise);
    let done = false;
    void waiting!.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    release();
    await waiting;
    await w.end();
  });

  it("surfaces a failed write to the next push or to end(), and the digest's failure too", async () => {
    const failing: BlockSink = { write: async () => Promise.reject(new Error("disk full")) };
    const w = new BlockWriter(failing, { blockBytes: 2 });
    w.push(new Uint8Array(2));
    await new Promise((r) => setTimeout(r, 0));
    await expect(w.push(new Uint8Array(1))).rejects.toThrow("disk full");
    await expect(w.end()).rejects.toThrow("disk full");

    const { sink } = memorySink();
    const d = new BlockWriter(sink, { blockBytes: 2, digest: { update: () => Promise.reject(new Error("hash failed")) } });
    await d.push(new Uint8Array(3));
    await expect(d.end()).rejects.toThrow("hash failed");
  });

  it("never reuses a block before its write and digest have finished", async () => {
    await fc.assert(
      fc.asyncProperty(chunksArb, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 2, max: 4 }), async (chunks, blockBytes, blocks) => {
        const busy = new Set<Uint8Array>();
        const sink: BlockSink = {
          async write(data, _offset, length) {
            busy.add(data);
            await new Promise((r) => setTimeout(r, Math.random() * 2));
            busy.delete(data);
            return { bytesWritten: length };
          },
        };
        const digested: Uint8Array[] = [];
        const w = new BlockWriter(sink, {
          blockBytes,
          blocks,
          digest: {
            async update(d, n) {
              const copy = d.slice(0, n);
              await new Promise((r) => setTimeout(r, 0));
              // Had the writer refilled the block meanwhile, the bytes would differ now.
              expect(Buffer.from(d.subarray(0, n)).equals(copy)).toBe(true);
              expect(busy.size).toBeLessThanOrEqual(blocks - 1);
              digested.push(copy);
            },
          },
        });
        for (const c of chunks) await w.push(c);
        await w.end();
        expect(Buffer.concat(digested).equals(Buffer.concat(chunks))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it("syncs in the background every syncEveryBytes written, one sync at a time, and end() waits for the last one", async () => {
    const { sink: mem, bytes } = memorySink(Number.POSITIVE_INFINITY, [0, 1]);
    let syncs = 0;
    let running = 0;
    let maxRunning = 0;
    const writtenAtSync: number[] = [];
    let written = 0;
    let finished = 0;
    const sink: BlockSink = {
      async write(d, o, l, p) {
        const r = await mem.write(d, o, l, p);
        written += r.bytesWritten;
        return r;
      },
      async datasync() {
        syncs++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        writtenAtSync.push(written);
        await new Promise((r) => setTimeout(r, 3));
        running--;
        finished++;
      },
    };
    const w = new BlockWriter(sink, { blockBytes: 100, blocks: 3, syncEveryBytes: 250 });
    const chunk = new Uint8Array(100).fill(7);
    for (let i = 0; i < 40; i++) await w.push(chunk);
    await w.end();
    expect(bytes().length).toBe(4000);
    // A sync starts only once 250 bytes were written since the one before started; never two at once.
    expect(syncs).toBeGreaterThanOrEqual(2);
    expect(syncs).toBeLessThanOrEqual(Math.floor(4000 / 250));
    expect(writtenAtSync.every((n, i) => n >= 250 * (i + 1))).toBe(true);
    expect(maxRunning).toBe(1);
    expect(finished).toBe(syncs);
  });

  it("reports a failed background sync from end() (or the next push), so a disk error fails the transfer", async () => {
    const { sink: mem } = memorySink();
    const sink: BlockSink = { write: (d, o, l, p) => mem.write(d, o, l, p), datasync: async () => Promise.reject(new Error("EIO: sync failed")) };
    const w = new BlockWriter(sink, { blockBytes: 10, syncEveryBytes: 10 });
    const outcome = (async () => {
      for (let i = 0; i < 10; i++) await w.push(new Uint8Array(10));
      await w.end();
    })();
    await expect(outcome).rejects.toThrow("EIO: sync failed");
  });

  it("never syncs without syncEveryBytes, or with a sink that cannot", async () => {
    const { sink: mem } = memorySink();
    let syncs = 0;
    const w = new BlockWriter({ write: (d, o, l, p) => mem.write(d, o, l, p), datasync: async () => void syncs++ }, { blockBytes: 10 });
    for (let i = 0; i < 10; i++) await w.push(new Uint8Array(10));
    await w.end();
    expect(syncs).toBe(0);
    const w2 = new BlockWriter(mem, { blockBytes: 10, syncEveryBytes: 10 });
    for (let i = 0; i < 10; i++) await w2.push(new Uint8Array(10));
    await w2.end();
  });
});
