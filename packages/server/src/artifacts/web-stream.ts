import type { Readable } from "node:stream";

/**
 * A Node stream as a web stream that reads one chunk per pull. Node 20's Readable.toWeb
 * can queue far more than its high-water mark when the reader is slow, so a 1 GiB
 * download to a slow client could sit in memory; here at most one ~1 MiB chunk waits.
 */
export function toWebStream(stream: Readable): ReadableStream<Uint8Array> {
  let failed: Error | undefined;
  let waiter: (() => void) | undefined;
  const wake = () => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  stream.on("readable", wake);
  stream.on("end", wake);
  stream.on("error", (e) => {
    failed = e;
    wake();
  });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          if (failed) return controller.error(failed);
          const chunk = stream.read() as Buffer | null;
          if (chunk !== null) return controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
          if (stream.readableEnded) return controller.close();
          await new Promise<void>((resolve) => {
            waiter = resolve;
          });
        }
      },
      cancel() {
        stream.destroy();
      },
    },
    { highWaterMark: 1 },
  );
}
