import type { ErrorCode, FieldError } from "@cairn/core";

/**
 * One error class per failure kind. Services throw these; `onError` maps them once to
 * problem+json, so no route shapes an error body by hand.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export class NotFoundError extends HttpError {
  constructor(what: string, id: string) {
    super(404, "not_found", `${what} ${JSON.stringify(id)} not found`);
  }
}

/** A 404 that hides an object of a project the caller may not see (audited as a denial). */
export class HiddenNotFoundError extends NotFoundError {}

export class ConflictError extends HttpError {
  constructor(message: string, errors?: FieldError[]) {
    super(409, "conflict", message, errors);
  }
}

/** A promotion the policy refused (409 `gate_failed`): the problem carries the stored evaluation. */
export class GateFailedError extends HttpError {
  constructor(
    message: string,
    errors: FieldError[],
    readonly evaluation: Record<string, unknown>,
  ) {
    super(409, "gate_failed", message, errors);
  }
}

export class ValidationError extends HttpError {
  constructor(message: string, errors: FieldError[], code: ErrorCode = "validation_failed") {
    super(400, code, message, errors);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limitBytes: number) {
    super(413, "payload_too_large", `request body exceeds ${limitBytes} bytes`, [
      { path: "(body)", message: `must be at most ${limitBytes} bytes` },
    ]);
  }
}

export class UnavailableError extends HttpError {
  constructor(message: string, retryAfterSeconds = 1) {
    super(503, "unavailable", message, undefined, { "retry-after": String(retryAfterSeconds) });
  }
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problemTitle(status: number): string {
  return TITLES[status] ?? "Error";
}

export class UnauthorizedError extends HttpError {
  constructor(message = "send an API key as `Authorization: Bearer <key>`") {
    super(401, "unauthorized", message, undefined, { "www-authenticate": 'Bearer realm="cairn"' });
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, "forbidden", message);
  }
}
