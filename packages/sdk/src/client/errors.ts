import type { FieldError, Problem } from "@cairn/core";

/** Base class of every error the SDK throws or reports. */
export class CairnError extends Error {
  override name = "CairnError";
}

/** The server answered with an error status; `problem` holds its RFC 9457 body when it sent one. */
export class CairnHttpError extends CairnError {
  override name = "CairnHttpError";
  /** HTTP status. */
  readonly status: number;
  /** Stable machine-readable code (`not_found`, `conflict`, `invalid_filter`, ...). */
  readonly code: string;
  readonly problem: Problem | undefined;
  readonly requestId: string | undefined;
  /** Field errors, e.g. `[{ path: "filter", message, position }]`. */
  readonly errors: FieldError[];
  /** For 429/503: seconds the server asked us to wait, when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, problem: Problem | undefined, message?: string, retryAfterMs?: number) {
    super(message ?? describe(status, problem));
    this.status = status;
    this.problem = problem;
    this.code = problem?.code ?? codeForStatus(status);
    this.requestId = problem?.requestId;
    this.errors = problem?.errors ?? [];
    this.retryAfterMs = retryAfterMs;
  }
}

export class NotFoundError extends CairnHttpError {
  override name = "NotFoundError";
}
export class ConflictError extends CairnHttpError {
  override name = "ConflictError";
}
/** 400, 413 and 422: the request was invalid (includes `invalid_filter`). */
export class ValidationError extends CairnHttpError {
  override name = "ValidationError";
}
export class UnauthorizedError extends CairnHttpError {
  override name = "UnauthorizedError";
}
export class ForbiddenError extends CairnHttpError {
  override name = "ForbiddenError";
}
export class RateLimitedError extends CairnHttpError {
  override name = "RateLimitedError";
}
export class ServerError extends CairnHttpError {
  override name = "ServerError";
}

/** The server could not be reached (connection refused, DNS, timeout, aborted). */
export class CairnNetworkError extends CairnError {
  override name = "CairnNetworkError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server answered 2xx with a body that does not match the contract. */
export class InvalidResponseError extends CairnError {
  override name = "InvalidResponseError";
}

function describe(status: number, problem: Problem | undefined): string {
  if (!problem) return `HTTP ${status}`;
  const first = problem.errors?.[0];
  const field = first ? ` (${first.path}: ${first.message})` : "";
  return `${problem.title}${problem.detail ? `: ${problem.detail}` : ""}${field} [${problem.code}, HTTP ${status}]`;
}

function codeForStatus(status: number): string {
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 429) return "rate_limited";
  if (status === 413) return "payload_too_large";
  if (status >= 500) return status === 503 ? "unavailable" : "internal";
  return "validation_failed";
}

/** Picks the error class for a status. */
export function httpError(status: number, problem: Problem | undefined, retryAfterMs?: number): CairnHttpError {
  const Cls =
    status === 404
      ? NotFoundError
      : status === 409
        ? ConflictError
        : status === 400 || status === 413 || status === 422
          ? ValidationError
          : status === 401
            ? UnauthorizedError
            : status === 403
              ? ForbiddenError
              : status === 429
                ? RateLimitedError
                : status >= 500
                  ? ServerError
                  : CairnHttpError;
  return new Cls(status, problem, undefined, retryAfterMs);
}
