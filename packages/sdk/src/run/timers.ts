/**
 * Timer helpers. Every timer the SDK arms on its own is unref'd (Node) so the SDK never
 * keeps a process alive by itself; `keepAlive()` is the explicit exception used while
 * the user awaits `flush()`/`finish()` or while exit hooks flush.
 */
type Timer = ReturnType<typeof setTimeout>;

export function unref<T extends Timer | ReturnType<typeof setInterval>>(t: T): T {
  (t as { unref?: () => void }).unref?.();
  return t;
}

/** Resolves after `ms` (unref'd); resolves early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = unref(setTimeout(done, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Holds the event loop open until the returned function is called. */
export function keepAlive(): () => void {
  const t = setInterval(() => {}, 1 << 30);
  return () => clearInterval(t);
}
