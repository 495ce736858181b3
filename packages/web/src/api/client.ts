import type { Problem } from "@cairn/core";

/**
 * The UI talks to the public HTTP API only, with the browser's session cookie (same origin,
 * so the server's CSRF origin check passes). Types come from the core contract; the server
 * has validated every response against the same schemas.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
  /** The first field error's message with its field, for forms and the filter box. */
  get fieldMessage(): string {
    const e = this.problem?.errors?.[0];
    return e ? `${e.path}: ${e.message}` : this.message;
  }
}

export type Query = Record<string, string | number | boolean | undefined | null | readonly (string | number)[]>;

export function apiUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else params.set(k, String(v));
  }
  const qs = params.toString();
  return `/api/v1${path}${qs ? `?${qs}` : ""}`;
}

/** Path segments from user data (project, model and artifact names) are encoded here, once. */
export const seg = (s: string | number) => encodeURIComponent(String(s));

async function send<T>(method: string, path: string, query?: Query, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(apiUrl(path, query), {
    method,
    credentials: "same-origin",
    headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  if (res.status === 401) {
    // No session (or it expired): the login page exchanges a key for a session cookie.
    window.location.assign(`/login`);
    throw new ApiError(401, undefined);
  }
  const text = await res.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  if (!res.ok) throw new ApiError(res.status, parsed && typeof parsed === "object" ? (parsed as Problem) : undefined);
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => send<T>("GET", path, query, undefined, signal),
  post: <T>(path: string, body?: unknown, query?: Query) => send<T>("POST", path, query, body ?? {}),
  put: <T>(path: string, body?: unknown, query?: Query) => send<T>("PUT", path, query, body ?? {}),
  patch: <T>(path: string, body?: unknown, query?: Query) => send<T>("PATCH", path, query, body ?? {}),
  delete: <T>(path: string, query?: Query) => send<T>("DELETE", path, query),
};

/** A plain-text body (artifact previews): capped so a huge file never lands in the DOM. */
export async function fetchText(path: string, maxBytes = 256 * 1024): Promise<{ text: string; truncated: boolean }> {
  const res = await fetch(apiUrl(path), { credentials: "same-origin", headers: { range: `bytes=0-${maxBytes - 1}` } });
  if (!res.ok && res.status !== 206) throw new ApiError(res.status, undefined);
  const text = await res.text();
  const total = Number(res.headers.get("content-range")?.split("/")[1] ?? text.length);
  return { text, truncated: res.status === 206 && total > maxBytes };
}
