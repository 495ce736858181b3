/** Chunks of about this many characters: big enough to keep syscalls few, small enough to stream. */
const CHUNK_CHARS = 64 * 1024;

/**
 * JSON Lines as a pull stream: the next rows are read only when the client has taken the
 * previous chunk, so a slow reader holds back the database reads instead of filling memory.
 * Headers are gone by the time a read can fail, so a failure aborts the response (the
 * client sees a truncated body, never a partial line followed by an error document).
 */
export function ndjsonStream<T>(items: AsyncIterable<T>, onError: (err: unknown) => void): ReadableStream<Uint8Array> {
  const it = items[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let text = "";
      try {
        while (text.length < CHUNK_CHARS) {
          const next = await it.next();
          if (next.done) {
            if (text !== "") controller.enqueue(encoder.encode(text));
            controller.close();
            return;
          }
          text += `${JSON.stringify(next.value)}\n`;
        }
      } catch (err) {
        onError(err);
        controller.error(err);
        return;
      }
      controller.enqueue(encoder.encode(text));
    },
    async cancel() {
      await it.return?.();
    },
  });
}
