import type { FileHandle } from "node:fs/promises";
import type { ServerResponse } from "node:http";

const BLOCK_BYTES = 1 << 20;

/**
 * The body of a download from the filesystem store, as the web stream a Hono Response takes.
 *
 * Through @hono/node-server, each chunk of a stream goes to `res.write` with no way to learn
 * when the socket has taken it, so every chunk must be a new buffer: 1 GiB meant a thousand
 * 1 MiB allocations and, with the server's heap, dozens of full garbage collections (~1 s of
 * CPU and up to ~60 MiB of dead buffers in RSS). Instead, on its first pull, once node-server
 * has written the status and headers (the middleware's included) and waits for this chunk,
 * the stream writes the file to the Node response itself from two reused buffers, each refilled
 * only after the socket has taken it, then ends. Should the head not be out yet (another
 * adapter, a changed node-server), it falls back to one new buffer per chunk.
 */
export function fileBody(file: FileHandle, start: number, length: number, res: ServerResponse | undefined): ReadableStream<Uint8Array> {
  let position = start;
  let left = length;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    file.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (res && position === start && (await headWritten(res))) {
            await writeDirect(file, position, left, res);
            left = 0;
          }
          if (left === 0) {
            close();
            controller.close();
            return;
          }
          const buf = Buffer.allocUnsafe(Math.min(BLOCK_BYTES, left));
          const { bytesRead } = await file.read(buf, 0, buf.length, position);
          if (bytesRead === 0) throw new Error("the blob is shorter than its record");
          position += bytesRead;
          left -= bytesRead;
          controller.enqueue(new Uint8Array(buf.buffer, buf.byteOffset, bytesRead));
        } catch (e) {
          close();
          controller.error(e);
        }
      },
      cancel() {
        close();
      },
    },
    // Pulled only when read: the first pull must come after node-server's first read.
    { highWaterMark: 0 },
  );
}

/** node-server writes the head within a few ticks of finding the first chunk not ready. */
async function headWritten(res: ServerResponse): Promise<boolean> {
  for (let i = 0; i < 3 && !res.headersSent; i++) await new Promise((r) => setImmediate(r));
  return res.headersSent && !res.writableEnded && !res.destroyed;
}

/** Writes `length` bytes of `file` from `position`: one buffer is read while the other is being sent. */
async function writeDirect(file: FileHandle, position: number, length: number, res: ServerResponse): Promise<void> {
  const buffers = [Buffer.allocUnsafe(Math.min(BLOCK_BYTES, length)), Buffer.allocUnsafe(Math.min(BLOCK_BYTES, length))];
  let gone: (() => void) | undefined;
  const closed = new Promise<void>((_, reject) => {
    gone = () => reject(new Error("the client went away mid-download"));
    res.once("close", gone);
  });
  closed.catch(() => {});
  try {
    let sent: Promise<void> = Promise.resolve();
    for (let i = 0; length > 0; i++) {
      // Last sent two rounds ago, and that write has finished (awaited in the previous round).
      const buf = buffers[i % 2]!;
      const { bytesRead } = await file.read(buf, 0, Math.min(buf.length, length), position);
      if (bytesRead === 0) throw new Error("the blob is shorter than its record");
      position += bytesRead;
      length -= bytesRead;
      await Promise.race([sent, closed]);
      // Resolves once the socket has taken the bytes: only then may the buffer be refilled.
      sent = new Promise<void>((resolve, reject) => res.write(buf.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve())));
      sent.catch(() => {});
    }
    await Promise.race([sent, closed]);
  } finally {
    if (gone) res.off("close", gone);
  }
}
