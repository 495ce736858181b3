import { type FileHandle, open } from "node:fs/promises";
import { BlockWriter, type RunningHash } from "@cairn/core";
import { TRANSFER_BLOCK_BYTES, TRANSFER_BLOCKS, transferDigests } from "./digests.js";

/** Written bytes between background fdatasyncs, so the fsync before the rename has little left (see BlockWriter). */
const SYNC_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * A download's destination: bytes are copied into blocks, each written to `tmpFile` (thread
 * pool) and hashed (worker thread) while the next fills. The file is opened on the first byte
 * (or at the end, for an empty body), so an answer that is not the file creates nothing.
 */
export class FileReceiver {
  size = 0;
  private readonly hash: RunningHash;
  private file: FileHandle | undefined;
  private writer: BlockWriter | undefined;
  private opening: Promise<void> | undefined;
  private readonly blockBytes: number;

  constructor(
    private readonly tmpFile: string,
    expectedBytes: number | undefined,
  ) {
    this.hash = transferDigests.open(expectedBytes);
    // A small file needs no big blocks.
    this.blockBytes = Math.min(TRANSFER_BLOCK_BYTES, Math.max(64 * 1024, expectedBytes ?? TRANSFER_BLOCK_BYTES));
  }

  /** Takes a chunk; a promise means "wait before the next one" (and `chunk` is still being read). */
  push(chunk: Uint8Array): Promise<void> | undefined {
    this.size += chunk.length;
    return this.writer ? this.writer.push(chunk) : this.openThen(chunk);
  }

  /** Writes the rest, makes the file durable and closes it; the sha256 of every byte received. */
  async finish(): Promise<string> {
    if (!this.writer) await this.openThen(new Uint8Array(0));
    await this.writer!.end();
    // Durable before the caller renames it into place: a crash never leaves a renamed, empty file.
    await this.file!.sync();
    await this.close();
    return this.hash.digest();
  }

  /** After a failure: closes the file (the caller removes it) and drops the hash. */
  async abort(): Promise<void> {
    this.hash.discard();
    await this.opening?.catch(() => {});
    await this.close().catch(() => {});
  }

  private async openThen(chunk: Uint8Array): Promise<void> {
    this.opening ??= open(this.tmpFile, "w").then((file) => {
      this.file = file;
      this.writer = new BlockWriter(file, { blockBytes: this.blockBytes, blocks: TRANSFER_BLOCKS, shared: this.hash.shared, digest: this.hash, syncEveryBytes: SYNC_EVERY_BYTES });
    });
    await this.opening;
    await this.writer!.push(chunk);
  }

  private async close(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    await f?.close();
  }
}
