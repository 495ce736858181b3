import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { BlockWriter } from "./block-writer.js";
import { DIGEST_WORKER_SOURCE, type DigestWorkerLike, WorkerDigests } from "./worker-digest.js";

const spawn = () => new Worker(DIGEST_WORKER_SOURCE, { eval: true }) as unknown as DigestWorkerLike;
const digests = new WorkerDigests(spawn, createHash);
afterAll(() => digests.close());

const nullSink = { write: async (_d: Uint8Array, _o: number, length: number) => ({ bytesWritten: length }) };

async function hashThroughWorker(chunks: Uint8Array[], blockBytes: number, expectedBytes?: number): Promise<string> {
  const hash = digests.open(expectedBytes);
  const w = new BlockWriter(nullSink, { blockBytes, shared: hash.shared, digest: hash });
  for (const c of chunks) await w.push(c);
  await w.end();
  return hash.digest();
}

describe("WorkerDigests", () => {
  it("gives the sha256 Node computes on the main thread, whatever the chunking and block size", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 20 }), fc.integer({ min: 1, max: 4096 }), async (chunks, blockBytes) => {
        const expected = createHash("sha256").update(Buffer.concat(chunks)).digest("hex");
        expect(await hashThroughWorker(chunks, blockBytes)).toBe(expected);
      }),
      { numRuns: 40 },
    );
  });

  it("hashes small known sizes on the calling thread, with the same result", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 10 }), fc.integer({ min: 1, max: 4096 }), async (chunks, blockBytes) => {
        const total = chunks.reduce((n, c) => n + c.length, 0);
        expect(digests.open(total).shared).toBe(false);
        expect(await hashThroughWorker(chunks, blockBytes, total)).toBe(createHash("sha256").update(Buffer.concat(chunks)).digest("hex"));
      }),
      { numRuns: 20 },
    );
    expect(digests.open(8 * 2 ** 20).shared).toBe(true);
    expect(digests.open().shared).toBe(true);
  });

  it("keeps concurrent hashes apart", async () => {
    const inputs = Array.from({ length: 6 }, (_, i) => Array.from({ length: 20 }, (_, j) => new Uint8Array(1000 + j).fill(i * 31 + j)));
    const got = await Promise.all(inputs.map((chunks, i) => hashThroughWorker(chunks, 512 + i * 100)));
    expect(got).toEqual(inputs.map((chunks) => createHash("sha256").update(Buffer.concat(chunks)).digest("hex")));
    expect(new Set(got).size).toBe(inputs.length);
  });

  it("refuses blocks that are not shared, and a hash used after its digest", async () => {
    const h = digests.open();
    await expect(h.update(new Uint8Array(4), 4)).rejects.toThrow(/SharedArrayBuffer/);
    expect(await h.digest()).toBe(createHash("sha256").digest("hex"));
    await expect(h.digest()).rejects.toThrow(/already finished/);
  });

  it("fails the hashes in progress when the worker dies, and a new hash starts a new worker", async () => {
    let worker: Worker | undefined;
    const own = new WorkerDigests(() => (worker = new Worker(DIGEST_WORKER_SOURCE, { eval: true })) as unknown as DigestWorkerLike, createHash);
    try {
      const h = own.open();
      const block = new Uint8Array(new SharedArrayBuffer(8));
      await h.update(block, 8);
      await worker!.terminate();
      await expect(h.update(block, 8)).rejects.toThrow(/worker/);
      const next = own.open();
      await next.update(block, 8);
      expect(await next.digest()).toBe(createHash("sha256").update(Buffer.alloc(8)).digest("hex"));
    } finally {
      own.close();
    }
  });
});
