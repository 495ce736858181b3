import { AliasEvent, type ModelAlias } from "@cairn/core";
import { CairnError, CairnHttpError, CairnNetworkError } from "../client/errors.js";
import { errorFromResponse } from "../client/http.js";
import { backoffDelay, isRetryableStatus } from "../run/backoff.js";
import { sleep } from "../run/timers.js";

/** Options of `client.models.watch()`. */
export interface WatchOptions {
  project?: string;
  /** Stops the watch (as `close()` does). */
  signal?: AbortSignal;
  /** `sse` (default): server-sent events, falling back to polling when the stream does not work (a buffering proxy); `poll`: polling only. */
  transport?: "sse" | "poll";
  /** Polling period (ms). Default 5,000. */
  pollIntervalMs?: number;
  /** The version you serve now: a first state that differs from it is a change. Default: the first state seen is the baseline. */
  version?: number | null;
  /** Told about connection problems and a throwing `onChange` (the watch carries on; a 4xx such as an unknown alias ends it). */
  onError?: (error: Error) => void;
  /** With no event this long after connecting, the stream counts as buffered by a proxy and the watch polls instead (ms). Default 10,000. */
  firstEventTimeoutMs?: number;
}

/** What `watch()` returns. */
export interface AliasWatch {
  /** The first state seen (rejects when the model or alias is unknown or the key may not read it). */
  readonly ready: Promise<AliasEvent>;
  /** The latest state seen. */
  readonly current: AliasEvent | undefined;
  /** How the watch learns about moves now. */
  readonly mode: "sse" | "poll";
  close(): void;
}

export interface WatchContext {
  url: string;
  apiKey: string | undefined;
  /** Path of the event stream. */
  eventsPath: string;
  /** Reads the alias (the polling transport). */
  readAlias: () => Promise<ModelAlias>;
  fetch?: typeof fetch;
}

/** A stream that shows nothing (not even the 15 s keep-alive) for this long is dead. */
const STALL_MS = 45_000;

export function aliasEventOf(a: ModelAlias): AliasEvent {
  const last = a.history[0];
  return { model: a.modelName, alias: a.alias, version: a.version, previousVersion: last?.fromVersion ?? null, movedAt: last?.movedAt ?? null, moveId: last?.id ?? null };
}

/** Splits `text/event-stream` text into events (the parts of the format the server uses: event, data, id, comments). */
export class SseParser {
  private buf = "";
  /** A chunk ended in CR: it may be the first half of a CRLF. */
  private cr = false;
  constructor(private readonly onEvent: (event: string, data: string, id: string | undefined) => void) {}

  push(chunk: string): void {
    let text = this.cr ? `\r${chunk}` : chunk;
    this.cr = text.endsWith("\r");
    if (this.cr) text = text.slice(0, -1);
    this.buf += text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
    let end: number;
    while ((end = this.buf.indexOf("\n\n")) >= 0) {
      const block = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + 2);
      let event = "message";
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line === "" || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
        else if (field === "id") id = value;
      }
      if (data.length > 0) this.onEvent(event, data.join("\n"), id);
    }
  }
}

class FatalWatchError extends Error {}

/**
 * Follows an alias: server-sent events with reconnects (full-jitter backoff), falling back
 * to polling when the stream never delivers; `onChange` runs once per change of the version
 * the alias points at, one call at a time (an async hot swap finishes before the next starts).
 */
export function watchAlias(ctx: WatchContext, onChange: (event: AliasEvent) => void | Promise<void>, opts: WatchOptions = {}): AliasWatch {
  const ctrl = new AbortController();
  const pollMs = opts.pollIntervalMs ?? 5_000;
  const firstEventMs = opts.firstEventTimeoutMs ?? 10_000;
  let mode: "sse" | "poll" = opts.transport === "poll" ? "poll" : "sse";
  let current: AliasEvent | undefined;
  let known: number | null | undefined = opts.version;
  let chain: Promise<void> = Promise.resolve();
  let resolveReady!: (e: AliasEvent) => void;
  let rejectReady!: (e: Error) => void;
  let readySettled = false;
  const ready = new Promise<AliasEvent>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => {}); // the caller may never look at it; the error also goes to onError
  const reported = new Set<string>();
  const report = (err: Error, once = true) => {
    if (once && reported.has(err.message)) return;
    reported.add(err.message);
    try {
      opts.onError?.(err);
    } catch {
      // user code: ignored
    }
  };

  const seen = (event: AliasEvent) => {
    current = event;
    if (!readySettled) {
      readySettled = true;
      resolveReady(event);
      if (known === undefined) {
        known = event.version;
        return;
      }
    }
    if (event.version === known) return;
    known = event.version;
    chain = chain.then(async () => {
      try {
        await onChange(event);
      } catch (err) {
        report(err instanceof Error ? err : new Error(String(err)), false);
      }
    });
  };

  const fetchFn = ctx.fetch ?? globalThis.fetch;

  async function poll(): Promise<void> {
    seen(aliasEventOf(await ctx.readAlias()));
  }

  /** One stream: resolves when it ends (the server closed it), rejects on failure. */
  async function stream(): Promise<"ended" | "buffered"> {
    const local = new AbortController();
    const onAbort = () => local.abort();
    ctrl.signal.addEventListener("abort", onAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let buffered = false;
    const arm = (ms: number, why: "buffered" | "stalled") => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        buffered = why === "buffered";
        local.abort();
      }, ms);
      (timer as { unref?: () => void }).unref?.();
    };
    try {
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (ctx.apiKey) headers.authorization = `Bearer ${ctx.apiKey}`;
      arm(firstEventMs, "buffered");
      let res: Response;
      try {
        res = await fetchFn(`${ctx.url}${ctx.eventsPath}`, { headers, signal: local.signal });
      } catch (err) {
        if (buffered) return "buffered";
        throw new CairnNetworkError(`cannot reach ${ctx.url}: ${(err as Error).message}`, { cause: err });
      }
      if (res.status >= 400) {
        const text = await res.text().catch(() => "");
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const err = errorFromResponse({ status: res.status, headers: res.headers, body });
        throw isRetryableStatus(res.status) ? err : new FatalWatchError(err.message, { cause: err });
      }
      if (!/^text\/event-stream/i.test(res.headers.get("content-type") ?? "") || !res.body) {
        await res.body?.cancel().catch(() => {});
        return "buffered";
      }
      const decoder = new TextDecoder();
      let events = 0;
      const parser = new SseParser((event, data) => {
        if (event !== "alias") return;
        let parsed: ReturnType<typeof AliasEvent.safeParse>;
        try {
          parsed = AliasEvent.safeParse(JSON.parse(data));
        } catch {
          return;
        }
        if (!parsed.success) return;
        events++;
        seen(parsed.data);
      });
      const reader = res.body.getReader();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (buffered) return "buffered";
          if (ctrl.signal.aborted) return "ended";
          throw new CairnNetworkError(`event stream from ${ctx.url} broke: ${(err as Error).message}`, { cause: err });
        }
        if (chunk.done) return events > 0 ? "ended" : "buffered";
        parser.push(decoder.decode(chunk.value, { stream: true }));
        if (events > 0) arm(STALL_MS, "stalled");
      }
    } finally {
      clearTimeout(timer);
      ctrl.signal.removeEventListener("abort", onAbort);
    }
  }

  async function run(): Promise<void> {
    let attempt = 0;
    while (!ctrl.signal.aborted) {
      try {
        if (mode === "poll") {
          await poll();
          attempt = 0;
          await sleep(pollMs, ctrl.signal);
          continue;
        }
        const outcome = await stream();
        if (ctrl.signal.aborted) break;
        if (outcome === "buffered") {
          // The stream opened but delivered nothing: something on the way holds events back.
          mode = "poll";
          report(new CairnNetworkError("the alias event stream delivers nothing (a buffering proxy?): polling instead"));
          continue;
        }
        attempt = 0;
        await sleep(backoffDelay(0, { baseMs: 250, capMs: 250 }), ctrl.signal);
      } catch (err) {
        if (ctrl.signal.aborted) break;
        const fatal = err instanceof FatalWatchError || (err instanceof CairnHttpError && !isRetryableStatus(err.status));
        const error = err instanceof FatalWatchError && err.cause instanceof Error ? err.cause : err instanceof Error ? err : new Error(String(err));
        report(error);
        if (fatal) {
          if (!readySettled) {
            readySettled = true;
            rejectReady(error);
          }
          ctrl.abort();
          break;
        }
        await sleep(backoffDelay(attempt++, { baseMs: 500, capMs: 10_000 }), ctrl.signal);
      }
    }
  }

  if (opts.signal?.aborted) ctrl.abort();
  else opts.signal?.addEventListener("abort", () => ctrl.abort(), { once: true });
  void run().finally(() => {
    if (!readySettled) {
      readySettled = true;
      rejectReady(new CairnError("watch closed before the first state arrived"));
    }
  });
  return {
    ready,
    get current() {
      return current;
    },
    get mode() {
      return mode;
    },
    close: () => ctrl.abort(),
  };
}
