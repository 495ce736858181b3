/** What BlockWriter writes to: Node's `FileHandle` fits, so core needs no Node import. */
export interface BlockSink {
  write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
}

/**
 * Something that consumes each full block besides the sink, e.g. a hash running in a worker
 * thread. It may read `data[0, length)` until its promise settles, not after.
 */
export interface BlockDigest {
  update(data: Uint8Array, length: number): Promise<void>;
}

export interface BlockWriterOptions {
  /** Bytes per block (default 1 MiB). */
  blockBytes?: number;
  /** Fed every block, in order, in parallel with the block's write. */
  digest?: BlockDigest;
  /** Blocks on a SharedArrayBuffer, which a worker thread (`digest`) can read without a copy. */
  shared?: boolean;
}

const DEFAULT_BLOCK = 1 << 20;

/**
 * Writes a stream of socket-sized chunks (~64 KiB) to a file in whole blocks, one block being
 * written (and digested) while the other fills. Measured on 1 GiB bodies here: ~1.9× faster than
 * piping them into `fs.createWriteStream`, which issued one small write per chunk. Used by
 * the server's filesystem store (uploads) and the SDK (downloads).
 */
export class BlockWriter {
  private readonly size: number;
  private block: Uint8Array;
  /** The block last handed to the sink; free again once `inFlight` settles. */
  private spare: Uint8Array;
  private filled = 0;
  private inFlight: Promise<void> = Promise.resolve();
  /** Whether `inFlight` has settled: lets `push` carry on without yielding when it has. */
  private idle = true;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly sink: BlockSink,
    private readonly options: BlockWriterOptions = {},
  ) {
    this.size = options.blockBytes ?? DEFAULT_BLOCK;
    const allocate = () => (options.shared ? new Uint8Array(new SharedArrayBuffer(this.size)) : new Uint8Array(this.size));
    this.block = allocate();
    this.spare = allocate();
  }

  /**
   * Copies `chunk` in. Returns undefined when it was taken without waiting, or a promise when a
   * full block had to wait for the previous one's write (backpressure): until it resolves the
   * writer still reads from `chunk`, so a caller that reuses its buffer must wait for it.
   */
  push(chunk: Uint8Array): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure.error);
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.size - this.filled);
      this.block.set(chunk.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === this.size) {
        if (!this.idle) return this.pushAfterWait(chunk, off);
        this.rotate();
      }
    }
    return undefined;
  }

  /** Writes what is left and waits for every write (and digest update). */
  async end(): Promise<void> {
    await this.inFlight;
    if (this.filled > 0) this.rotate();
    await this.inFlight;
  }

  private async pushAfterWait(chunk: Uint8Array, off: number): Promise<void> {
    await this.inFlight;
    this.rotate();
    if (off < chunk.length) await this.push(chunk.subarray(off));
  }

  /** Hands the full block to the sink (and digest) and fills the spare; `inFlight` must have settled. */
  private rotate(): void {
    const full = this.block;
    const length = this.filled;
    const work = [writeAll(this.sink, full, length)];
    if (this.options.digest) work.push(this.options.digest.update(full, length));
    this.idle = false;
    this.inFlight = Promise.all(work).then(
      () => {
        this.idle = true;
      },
      (error: unknown) => {
        this.failure ??= { error };
        throw error;
      },
    );
    // A failure is reported by the next push or by end(); this keeps it from being "unhandled" meanwhile.
    this.inFlight.catch(() => {});
    this.block = this.spare;
    this.spare = full;
    this.filled = 0;
  }
}

async function writeAll(sink: BlockSink, data: Uint8Array, length: number): Promise<void> {
  let off = 0;
  while (off < length) {
    const { bytesWritten } = await sink.write(data, off, length - off);
    off += bytesWritten;
  }
}
