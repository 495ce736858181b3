import ky, { type KyInstance } from "ky";
import { Problem } from "@cairn/core";
import type { z } from "zod";
import { CairnNetworkError, InvalidResponseError, httpError } from "./errors.js";

export interface TransportOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8642` (`""` means same origin in a browser). */
  url: string;
  apiKey?: string | undefined;
  /** Per-request timeout in milliseconds (default 30,000). */
  timeoutMs?: number;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined for an empty/non-JSON body. */
  body: unknown;
}

export interface RequestOptions {
  json?: unknown;
  /** A pre-serialised JSON body (the metrics hot path builds its own). */
  body?: string;
  searchParams?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
}

/**
 * Thin HTTP layer over ky shared by the query client and the background sender.
 * ky's own retries are off: the query client fails fast and the sender has its own
 * retry policy (backoff with jitter, retry window, spool).
 */
export class Transport {
  readonly url: string;
  private readonly ky: KyInstance;

  constructor(opts: TransportOptions) {
    this.url = opts.url.replace(/\/+$/, "");
    const headers: Record<string, string> = { accept: "application/json, application/problem+json" };
    if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
    this.ky = ky.create({
      retry: 0,
      timeout: opts.timeoutMs ?? 30_000,
      throwHttpErrors: false,
      headers,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  /** Sends a request; throws CairnNetworkError only when no HTTP response arrived. */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const searchParams: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.searchParams ?? {})) if (v !== undefined) searchParams[k] = String(v);
    let res: Response;
    try {
      res = await this.ky(`${this.url}${path}`, {
        method,
        ...(opts.json !== undefined ? { json: opts.json } : {}),
        ...(opts.body !== undefined ? { body: opts.body, headers: { "content-type": "application/json" } } : {}),
        searchParams,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      throw new CairnNetworkError(`cannot reach ${this.url}: ${errorMessage(err)}`, { cause: err });
    }
    // Always read the body: unread bodies keep keep-alive sockets busy.
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new CairnNetworkError(`connection to ${this.url} broke: ${errorMessage(err)}`, { cause: err });
    }
    return { status: res.status, headers: res.headers, body: jsonOrUndefined(text) };
  }

  /** Sends a request, throws a typed error for non-2xx and validates the body against `schema`. */
  async call<S extends z.ZodType>(method: string, path: string, schema: S, opts?: RequestOptions): Promise<z.output<S>> {
    const res = await this.raw(method, path, opts);
    if (res.status >= 400) throw errorFromResponse(res);
    const parsed = schema.safeParse(res.body);
    if (!parsed.success) {
      throw new InvalidResponseError(`unexpected response from ${method} ${path}: ${parsed.error.message}`);
    }
    return parsed.data;
  }
}

export function errorFromResponse(res: RawResponse) {
  const problem = Problem.safeParse(res.body);
  return httpError(res.status, problem.success ? problem.data : undefined, retryAfterMs(res.headers));
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const v = headers.get("retry-after");
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

/** Encodes one path segment (project names, metric keys with `/`). */
export const seg = (s: string): string => encodeURIComponent(s);

/** A response body as JSON; undefined when empty or not JSON (an error page, a cut-short body). */
export function jsonOrUndefined(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
