import { ValidationError } from "./errors.js";

/** Opaque cursors: base64url JSON, so clients cannot depend on their shape. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

export function decodeCursor<T>(cursor: string, isValid: (v: unknown) => v is T): T {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (isValid(v)) return v;
  } catch {
    /* fall through */
  }
  throw new ValidationError("invalid cursor", [{ path: "query.cursor", message: "is not a cursor this server issued" }]);
}
