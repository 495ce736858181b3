/** What BlockWriter writes to: Node's `FileHandle` fits, so core needs no Node import. */
export interface BlockSink {
  write(data: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  /** Flushes what was written to the disk (fdatasync); used by `syncEveryBytes`. */
  datasync?(): Promise<void>;
}

/**
 * Something that consumes each full block besides the sink, e.g. a hash running in a worker
 * thread. Called in order, one block after the other, without waiting in between; it may read
 * `data[0, length)` until its promise settles, not after.
 */
export interface BlockDigest {
  update(data: Uint8Array, length: number): Promise<void>;
}

export interface BlockWriterOptions {
  /** Bytes per block (default 1 MiB). */
  blockBytes?: number;
  /** Blocks in the ring (default 2, at least 2): all but the one filling may be in flight. */
  blocks?: number;
  /** Fed every block, in order, in parallel with the block's write. */
  digest?: BlockDigest;
  /** Blocks on a SharedArrayBuffer, which a worker thread (`digest`) can read without a copy. */
  shared?: boolean;
  /**
   * Starts the sink's `datasync` in the background each time this many bytes were written since
   * the last one started (one at a time). The caller's fsync at the end then finds little left
   * to write back: for 1 GiB here it took ~250 ms alone, after the last byte, when the disk had
   * been idle for the whole transfer. Off when undefined or the sink has no `datasync`.
   */
  syncEveryBytes?: number;
}

const DEFAULT_BLOCK = 1 << 20;

interface Block {
  data: Uint8Array;
  /** The block's write (and digest update) while in flight; undefined once it has finished. */
  work: Promise<void> | undefined;
}

/**
 * Writes a stream of socket-sized chunks (~64 KiB) to a file in whole blocks: each full block
 * is written at its offset (and digested) while the next ones fill. Measured on 1 GiB bodies
 * here: ~1.9× faster than piping them into `fs.createWriteStream`, which issued one small write
 * per chunk. Several blocks in flight keep the pipe moving when the thread pool or the hashing
 * thread answers late (a busy machine). Used by the server's filesystem store (uploads) and the
 * SDK (downloads).
 */
export class BlockWriter {
  private readonly size: number;
  private readonly ring: Block[];
  private current = 0;
  private filled = 0;
  private position = 0;
  private failure: { error: unknown } | undefined;
  /** Bytes whose writes finished since the last background sync started. */
  private unsynced = 0;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly sink: BlockSink,
    private readonly options: BlockWriterOptions = {},
  ) {
    this.size = options.blockBytes ?? DEFAULT_BLOCK;
    const allocate = () => (options.shared ? new Uint8Array(new SharedArrayBuffer(this.size)) : new Uint8Array(this.size));
    this.ring = Array.from({ length: Math.max(2, options.blocks ?? 2) }, () => ({ data: allocate(), work: undefined }));
  }

  /**
   * Copies `chunk` in. Returns undefined when it was taken without waiting, or a promise when
   * the next block was still in flight (backpressure): until it resolves the writer still reads
   * from `chunk`, so a caller that reuses its buffer must wait for it.
   */
  push(chunk: Uint8Array): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure.error);
    let off = 0;
    while (off < chunk.length) {
      const block = this.ring[this.current]!;
      if (block.work) return this.pushAfter(block.work, chunk, off);
      const n = Math.min(chunk.length - off, this.size - this.filled);
      block.data.set(chunk.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === this.size) this.dispatch();
    }
    return undefined;
  }

  /** Writes what is left and waits for every write (and digest update). */
  async end(): Promise<void> {
    this.throwIfFailed();
    const block = this.ring[this.current]!;
    if (this.filled > 0) {
      if (block.work) await block.work;
      this.dispatch();
    }
    await Promise.all(this.ring.map((b) => b.work));
    await this.syncing;
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private async pushAfter(work: Promise<void>, chunk: Uint8Array, off: number): Promise<void> {
    await work;
    await this.push(chunk.subarray(off));
  }

  /** Sends the current block to the sink (at its offset) and the digest; the next block fills. */
  private dispatch(): void {
    const block = this.ring[this.current]!;
    const length = this.filled;
    const jobs = [writeAll(this.sink, block.data, length, this.position).then(() => this.wrote(length))];
    if (this.options.digest) jobs.push(this.options.digest.update(block.data, this.filled));
    const work: Promise<void> = Promise.all(jobs).then(
      () => {
        if (block.work === work) block.work = undefined;
      },
      (error: unknown) => {
        this.failure ??= { error };
        throw error;
      },
    );
    // A failure is reported by the next push or by end(); this keeps it from being "unhandled" meanwhile.
    work.catch(() => {});
    block.work = work;
    this.position += this.filled;
    this.filled = 0;
    this.current = (this.current + 1) % this.ring.length;
  }

  /** Counts finished writes and starts a background sync when enough are unsynced (see `syncEveryBytes`). */
  private wrote(bytes: number): void {
    const every = this.options.syncEveryBytes;
    if (every === undefined || !this.sink.datasync) return;
    this.unsynced += bytes;
    if (this.unsynced < every || this.syncing || this.failure) return;
    this.unsynced = 0;
    const syncing: Promise<void> = this.sink.datasync().then(
      () => {
        if (this.syncing === syncing) this.syncing = undefined;
      },
      (error: unknown) => {
        this.failure ??= { error };
        if (this.syncing === syncing) this.syncing = undefined;
      },
    );
    this.syncing = syncing;
  }
}

async function writeAll(sink: BlockSink, data: Uint8Array, length: number, position: number): Promise<void> {
  let off = 0;
  while (off < length) {
    const { bytesWritten } = await sink.write(data, off, length - off, position + off);
    off += bytesWritten;
  }
}
