import { ValidationError } from "../http/errors.js";

// NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function find(value: unknown, path: string): string | undefined {
  if (typeof value === "string") return UNSTORABLE.test(value) ? path : undefined;
  if (value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = find(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const here = path ? `${path}.${k}` : k;
    if (UNSTORABLE.test(k)) return here;
    const found = find(v, here);
    if (found) return found;
  }
  return undefined;
}

/**
 * PostgreSQL's jsonb refuses NUL and unpaired surrogates (both valid in a JSON body): such a
 * body is a 400 naming the field, not a failed insert. Figures and signatures are stored as
 * sent, so they are refused rather than silently rewritten.
 */
export function requireStorable(body: unknown): void {
  const path = find(body, "");
  if (path !== undefined) throw new ValidationError(`${path} holds a NUL character or an unpaired surrogate`, [{ path, message: "must not contain NUL characters or unpaired surrogates" }]);
}
