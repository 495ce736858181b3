import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Problem } from "@cairn/core";
import { isDatabaseUnavailable } from "../db/errors.js";
import { GateFailedError, HttpError, problemTitle, UnavailableError } from "./errors.js";
import type { AppEnv } from "./context.js";

const PROBLEM_TYPE_BASE = "https://cairn.dev/problems/";

export function problemResponse(c: Context<AppEnv>, err: HttpError): Response {
  const body: Problem = {
    type: PROBLEM_TYPE_BASE + err.code,
    title: problemTitle(err.status),
    status: err.status,
    code: err.code,
    detail: err.message,
    requestId: c.get("requestId"),
    ...(err.errors && err.errors.length > 0 ? { errors: err.errors } : {}),
    ...(err instanceof GateFailedError ? { evaluation: err.evaluation } : {}),
  };
  return new Response(JSON.stringify(body), {
    status: err.status,
    headers: {
      "content-type": "application/problem+json",
      "x-request-id": c.get("requestId") ?? "",
      ...err.headers,
    },
  });
}

/** Maps anything thrown to problem+json; a 500 says only the request id. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400 && /JSON/i.test(err.message)) {
      return new HttpError(400, "invalid_json", "the request body is not valid JSON", [{ path: "(body)", message: "malformed JSON" }]);
    }
    if (err.status === 413) return new HttpError(413, "payload_too_large", err.message || "request body too large");
    const code = err.status === 401 ? "unauthorized" : err.status === 403 ? "forbidden" : err.status === 404 ? "not_found" : err.status >= 500 ? "internal" : "validation_failed";
    return new HttpError(err.status, code, err.message || problemTitle(err.status));
  }
  // The database is stopped or restarting: a client should retry (the SDK does), not give up.
  if (isDatabaseUnavailable(err)) return new UnavailableError("the database is unavailable; retry shortly", 2);
  // Malformed percent-encoding and the like surface as URIError from the router.
  if (err instanceof URIError) return new HttpError(400, "validation_failed", "malformed URL", [{ path: "(url)", message: err.message }]);
  return new HttpError(500, "internal", "internal error; quote the request id when reporting it");
}
