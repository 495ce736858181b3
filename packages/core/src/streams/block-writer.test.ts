import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BlockWriter, type BlockSink } from "./block-writer.js";

/** A sink that records what lands where, writing at most `maxPerCall` bytes per call (short writes). */
function memorySink(maxPerCall = Number.POSITIVE_INFINITY, delay = false) {
  const parts: Uint8Array[] = [];
  const sink: BlockSink = {
    async write(data, offset, length) {
      if (delay) await new Promise((r) => setTimeout(r, 0));
      const n = Math.min(length, maxPerCall);
      parts.push(data.slice(offset, offset + n));
      return { bytesWritten: n };
    },
  };
  const bytes = () => Buffer.concat(parts);
  return { sink, bytes };
}

const chunksArb = fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 40 });

describe("BlockWriter", () => {
  it("writes exactly the pushed bytes, in order, whatever the chunking, block size and short writes", async () => {
    await fc.assert(
      fc.asyncProperty(chunksArb, fc.integer({ min: 1, max: 257 }), fc.integer({ min: 1, max: 100 }), fc.boolean(), async (chunks, blockBytes, maxPerCall, shared) => {
        const { sink, bytes } = memorySink(maxPerCall);
        const seen: Uint8Array[] = [];
        const w = new BlockWriter(sink, { blockBytes, shared, digest: { update: async (d, n) => void seen.push(d.slice(0, n)) } });
        for (const c of chunks) await w.push(c);
        await w.end();
        const expected = Buffer.concat(chunks);
        expect(bytes().equals(expected)).toBe(true);
        // The digest sees the same bytes, block by block, each one whole except the last.
        expect(Buffer.concat(seen).equals(expected)).toBe(true);
        expect(seen.slice(0, -1).every((b) => b.length === blockBytes)).toBe(true);
      }),
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
      fc.asyncProperty(chunksArb, fc.integer({ min: 1, max: 64 }), async (chunks, blockBytes) => {
        const busy = new Set<Uint8Array>();
        const sink: BlockSink = {
          async write(data, _offset, length) {
            busy.add(data);
            await new Promise((r) => setTimeout(r, 0));
            busy.delete(data);
            return { bytesWritten: length };
          },
        };
        const digested: Uint8Array[] = [];
        const w = new BlockWriter(sink, {
          blockBytes,
          digest: {
            async update(d, n) {
              const copy = d.slice(0, n);
              await new Promise((r) => setTimeout(r, 0));
              // Had the writer refilled the block meanwhile, the bytes would differ now.
              expect(Buffer.from(d.subarray(0, n)).equals(copy)).toBe(true);
              expect(busy.size).toBeLessThanOrEqual(1);
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
});
