import http from "node:http";
import https from "node:https";
import { CairnNetworkError } from "../client/errors.js";
import { errorMessage, type RawResponse, type RequestOptions, Transport, type TransportOptions } from "../client/http.js";

/**
 * The monitor's transport for its batches in Node (loaded lazily, like the spool). A batch
 * body is ~1 MB of JSON (5,000 rows); through ky and fetch one costs ~7 ms of CPU, about
 * 1.4 µs per prediction — most of the 2 µs a serving process may spend per prediction — as
 * ky clones every request for retries (its body stream teed and copied) although retries are
 * off, and undici re-encodes and streams the body in chunks. Here the body becomes bytes once
 * and goes out through node:http (keep-alive): ~1 ms per batch, measured in the same process.
 * Everything but a pre-serialised body (connectivity probes) takes the shared path.
 */
export class NodeBatchTransport extends Transport {
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly client: typeof http | typeof https;

  constructor(opts: TransportOptions) {
    super(opts);
    this.headers = { accept: "application/json, application/problem+json", "content-type": "application/json" };
    if (opts.apiKey) this.headers.authorization = `Bearer ${opts.apiKey}`;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.client = this.url.startsWith("https:") ? https : http;
  }

  override raw(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    if (opts.body === undefined || opts.json !== undefined || opts.searchParams !== undefined || this.url === "") return super.raw(method, path, opts);
    return this.send(method, path, opts.body, opts.signal);
  }

  private send(method: string, path: string, body: string, signal: AbortSignal | undefined): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
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
      let req: http.ClientRequest | undefined;
      if (signal?.aborted) return fail(`cannot reach ${this.url}`, signal.reason ?? new Error("aborted"));
      const bytes = Buffer.from(body, "utf8");
      try {
        req = this.client.request(`${this.url}${path}`, { method, headers: { ...this.headers, "content-length": String(bytes.length) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (err) => fail(`connection to ${this.url} broke`, err));
          res.on("close", () => fail(`connection to ${this.url} broke`, new Error("response cut short")));
          res.on("end", () => {
            if (!res.complete) return fail(`connection to ${this.url} broke`, new Error("response cut short"));
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown;
            if (text !== "") {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = undefined;
              }
            }
            if (settle()) resolve({ status: res.statusCode ?? 0, headers: toHeaders(res.headers), body: parsed });
          });
        });
      } catch (err) {
        return fail(`cannot reach ${this.url}`, err);
      }
      // A bound on the whole exchange, like the shared transport's timeout.
      timer = setTimeout(() => req?.destroy(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
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
