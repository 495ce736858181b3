import { z } from "zod";

/** Stable error codes: clients branch on these, never on messages. */
export const ErrorCode = z.enum([
  "validation_failed",
  "invalid_json",
  "invalid_filter",
  "payload_too_large",
  "unsupported_media_type",
  "not_found",
  "conflict",
  /** An artifact exists at the path with different content (send overwrite=true). */
  "artifact_exists",
  /** A promotion the policy refused: the problem carries the gate's `evaluation`. */
  "gate_failed",
  /** An uploaded body does not hash to the digest its headers announced. */
  "digest_mismatch",
  /** A PUT's head probe (`x-cairn-head-sha256`) matched stored content: send the sha256 first (nothing was read or stored). */
  "content_may_exist",
  "range_not_satisfiable",
  "unauthorized",
  "forbidden",
  "rate_limited",
  "unavailable",
  "internal",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const FieldError = z.object({
  /** Path of the failing field, e.g. `points[17].value`. */
  path: z.string(),
  message: z.string(),
  /** For text inputs such as filters: 1-based column of the error. */
  position: z.number().int().optional(),
});
export type FieldError = z.infer<typeof FieldError>;

/** RFC 9457 problem details, as sent with `application/problem+json`. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: ErrorCode,
    detail: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(FieldError).optional(),
    /** A refused promotion (409 `gate_failed`): the gate's evaluation with each failed rule (a GateEvaluation). */
    evaluation: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: "Problem" });
export type Problem = z.infer<typeof Problem>;

/** Formats a zod issue path the way users write it: `points[17].value`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Turns a zod error into field errors, prefixing the part of the request (`query`, ...) when given. */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    return { path: prefix ? (path ? `${prefix}.${path}` : prefix) : path || "(root)", message: issue.message };
  });
}
