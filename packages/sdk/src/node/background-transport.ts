// Node-only: loaded through dynamic import() so the browser bundle never references node:http.
import http from "node:http";
import https from "node:https";
import { CairnNetworkError } from "../client/errors.js";
import { errorMessage, jsonOrUndefined, type RawResponse, type RequestOptions, Transport, type TransportOptions } from "../client/http.js";

/**
 * The transport of the SDK's background work in Node: a run's metric batches, run updates,
 * probes and heartbeats, and a monitor's prediction and label batches and probes. node:http
 * with every socket and timer unref'd while a request is in flight, and a request body
 * turned into bytes once.
 *
 * Why unref'd: fetch (undici) holds the event loop open while a request waits for its
 * response. A script that ended without `finish()` while the server was a black hole (a path
 * that accepts connections and never answers) therefore never reached `beforeExit`, where the
 * SDK flushes within the flush deadline and spools the rest: it hung for the whole request
 * timeout and retry window (90 s with a 3 s deadline), and a heartbeat in flight kept a
 * process that had called `finish()` alive for 30 s more (found by the reliability suite,
 * bounded-exit). A serving process that logs predictions must no more be held open by its
 * monitor's batches. The SDK never keeps a process alive by itself; `flush()`, `finish()`,
 * `monitor.close()` and the exit hooks hold it (keepAlive) exactly as long as they wait.
 * User-facing calls (registerModel, artifacts) keep the shared fetch transport: a request
 * the user awaits must hold the process.
 *
 * Why not fetch for the bodies: a monitor's batch is ~1 MB of JSON (5,000 rows); through ky
 * and fetch one cost ~7 ms of CPU, about 1.4 µs per prediction (most of the 2 µs a serving
 * process may spend per prediction), as ky clones every request for retries although
 * retries are off (the body stream teed and copied) and undici re-encodes and streams the
 * body in chunks. Here a batch costs ~1 ms.
 */
export class BackgroundTransport extends Transport {
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly client: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(opts: TransportOptions) {
    super(opts);
    this.headers = { accept: "application/json, application/problem+json" };
    if (opts.apiKey) this.headers.authorization = `Bearer ${opts.apiKey}`;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    const secure = this.url.startsWith("https:");
    this.client = secure ? https : http;
    // Keep-alive: batches go out every flush interval; a new connection each time costs more than
    // the request. No socket cap: each sender bounds its requests in flight (its `concurrency`),
    // and a request queued in the agent would spend its timeout waiting for a socket.
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  override raw(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    // Same-origin URLs ("" in a browser) cannot reach this class (Node only), but keep the shared path for them.
    if (this.url === "") return super.raw(method, path, opts);
    let query = "";
    for (const [k, v] of Object.entries(opts.searchParams ?? {})) {
      if (v !== undefined) query += `${query ? "&" : "?"}${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`;
    }
    const body = opts.body ?? (opts.json !== undefined ? JSON.stringify(opts.json) : undefined);
    return this.send(method, `${path}${query}`, body, opts.signal);
  }

  private send(method: string, path: string, body: string | undefined, signal: AbortSignal | undefined): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let req: http.ClientRequest | undefined;
      const onAbort = () => req?.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      const settle = () => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        return true;
      };
      const fail = (what: string, err: unknown) => {
        if (settle()) reject(new CairnNetworkError(`${what}: ${errorMessage(err)}`, { cause: err }));
      };
      if (signal?.aborted) return fail(`cannot reach ${this.url}`, signal.reason ?? new Error("aborted"));
      // The one copy of a body: written to the socket as is.
      const bytes = body === undefined ? undefined : Buffer.from(body, "utf8");
      const headers = bytes ? { ...this.headers, "content-type": "application/json", "content-length": String(bytes.length) } : this.headers;
      try {
        req = this.client.request(`${this.url}${path}`, { method, headers, agent: this.agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (err) => fail(`connection to ${this.url} broke`, err));
          res.on("close", () => fail(`connection to ${this.url} broke`, new Error("response cut short")));
          res.on("end", () => {
            if (!res.complete) return fail(`connection to ${this.url} broke`, new Error("response cut short"));
            if (settle()) resolve({ status: res.statusCode ?? 0, headers: toHeaders(res.headers), body: jsonOrUndefined(Buffer.concat(chunks).toString("utf8")) });
          });
        });
      } catch (err) {
        return fail(`cannot reach ${this.url}`, err);
      }
      // The agent refs a reused keep-alive socket before handing it over: unref it here, per request.
      req.on("socket", (s) => s.unref());
      // A bound on the whole exchange (connecting, sending, the answer), like the shared transport's timeout.
      timer = setTimeout(() => req?.destroy(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (err) => fail(`cannot reach ${this.url}`, err));
      req.end(bytes);
    });
  }
}

function toHeaders(h: http.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const k in h) {
    const v = h[k];
    if (typeof v === "string") out.set(k, v);
    else if (Array.isArray(v)) for (const x of v) out.append(k, x);
  }
  return out;
}
