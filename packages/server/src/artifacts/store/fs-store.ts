import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type { BlobStat, BlobStore, ByteRange, PutOptions, StagedBlob, StoredKey, UploadBody } from "./blob-store.js";
import { DigestMismatchError, isSha256, TooLargeError, toUploadBody } from "./blob-store.js";
import { BlockWriter, hashOnThisThread } from "@cairn/core";

const READ_CHUNK_BYTES = 1024 * 1024;
/**
 * Upload blocks: 2 × 1 MiB per upload, one written while the other fills. More in flight made
 * no measurable difference here (the socket buffers the sender meanwhile) and each is 1 MiB
 * more of a server held under 150 MiB.
 */
const WRITE_BLOCK_BYTES = 1024 * 1024;
const WRITE_BLOCKS = 2;
/** Written bytes between background fdatasyncs, so the fsync before the answer has little left (see BlockWriter). */
const SYNC_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * Blobs as files under `root`: `ab/cd/<sha256>`. Uploads stream to `root/tmp/`, are
 * fsynced and renamed into place, so a blob file is either absent or complete.
 * Every file name is derived from a validated sha256 or a random UUID, never from input.
 */
export class FsBlobStore implements BlobStore {
  readonly kind = "fs" as const;
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = path.join(root, "tmp");
    fs.mkdirSync(this.tmpDir, { recursive: true });
  }

  private file(sha256: string): string {
    if (!isSha256(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return path.join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async stage(body: Readable | UploadBody, options: PutOptions): Promise<StagedBlob> {
    const tmp = path.join(this.tmpDir, `${randomUUID()}.part`);
    const discard = () => fsp.rm(tmp, { force: true });
    // Opened before streaming (not lazily by a stream) so a failure can never race the rm below.
    const handle = await fsp.open(tmp, "wx");
    // Each full block is hashed here and written in the thread pool while the next ones fill.
    // Hashing in a worker thread was tried (core's WorkerDigests, as the SDK does): on the bench's
    // two cores, busy with the SDK's threads and this process's GC, it saved no time and its
    // isolate added ~10 MiB to a server held under 150 MiB while it receives 1 GiB.
    const hash = hashOnThisThread(createHash("sha256"));
    let bytes = 0;
    let sha256: string;
    try {
      const writer = new BlockWriter(handle, { blockBytes: WRITE_BLOCK_BYTES, blocks: WRITE_BLOCKS, shared: hash.shared, digest: hash, syncEveryBytes: SYNC_EVERY_BYTES });
      // The writer copies each chunk into its blocks, so a body read into one reused buffer
      // (a large upload's socket, see socket-body.ts) allocates nothing per chunk.
      await toUploadBody(body).drainInto((chunk) => {
        bytes += chunk.length;
        if (bytes > options.maxBytes) throw new TooLargeError(options.maxBytes);
        return writer.push(chunk);
      });
      await writer.end();
      await handle.sync();
      sha256 = await hash.digest();
    } catch (e) {
      hash.discard();
      await handle.close().catch(() => {});
      await discard();
      throw e;
    }
    await handle.close();
    if (options.expectedSha256 && options.expectedSha256 !== sha256) {
      await discard();
      throw new DigestMismatchError(options.expectedSha256, sha256);
    }
    const final = this.file(sha256);
    return {
      sha256,
      size: bytes,
      place: async () => {
        if (await this.stat(sha256)) return discard(); // stored once: the same content is already there
        await fsp.mkdir(path.dirname(final), { recursive: true });
        await fsp.rename(tmp, final);
      },
      discard,
    };
  }

  async stat(sha256: string): Promise<BlobStat | undefined> {
    try {
      const st = await fsp.stat(this.file(sha256));
      return { size: st.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }

  async read(sha256: string, range?: ByteRange): Promise<Readable> {
    const stream = fs.createReadStream(this.file(sha256), { highWaterMark: READ_CHUNK_BYTES, ...(range ? { start: range.start, end: range.end } : {}) });
    // Surface a missing file here rather than as a broken response body.
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", reject);
    });
    return stream;
  }

  openFile(sha256: string): Promise<fsp.FileHandle> {
    return fsp.open(this.file(sha256), "r");
  }

  async deleteMany(sha256s: string[]): Promise<void> {
    await Promise.all(sha256s.map((s) => fsp.rm(this.file(s), { force: true })));
  }

  async *list(): AsyncIterable<StoredKey> {
    for (const a of await readdirOrEmpty(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(a)) continue;
      for (const b of await readdirOrEmpty(path.join(this.root, a))) {
        if (!/^[0-9a-f]{2}$/.test(b)) continue;
        for (const name of await readdirOrEmpty(path.join(this.root, a, b))) {
          if (!isSha256(name)) continue;
          const st = await fsp.stat(path.join(this.root, a, b, name)).catch(() => undefined);
          if (st) yield { sha256: name, modifiedAt: st.mtime };
        }
      }
    }
  }

  async cleanTemp(olderThanMs: number, dryRun: boolean): Promise<number> {
    let n = 0;
    for (const name of await readdirOrEmpty(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      const st = await fsp.stat(file).catch(() => undefined);
      if (!st || Date.now() - st.mtimeMs < olderThanMs) continue;
      n++;
      if (!dryRun) await fsp.rm(file, { force: true, recursive: true });
    }
    return n;
  }

  close(): void {}
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}
