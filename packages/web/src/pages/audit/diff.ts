/** One field of an audit event's before/after, flattened to a dotted path (`params.lr`). */
export interface FieldChange {
  path: string;
  kind: "added" | "removed" | "changed" | "unchanged";
  before?: unknown;
  after?: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Leaves of nested objects by path; arrays and empty objects are leaves (compared as JSON). */
function flatten(value: Record<string, unknown>, prefix = "", out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isRecord(v) && Object.keys(v).length > 0) flatten(v, path, out);
    else out.set(path, v);
  }
  return out;
}

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * The field diff of an event, or undefined when before/after are not objects (a count, a
 * string): those are shown as JSON instead. Fields keep the order they first appear in.
 */
export function fieldDiff(before: unknown, after: unknown): FieldChange[] | undefined {
  const b = before === null || before === undefined ? {} : before;
  const a = after === null || after === undefined ? {} : after;
  if (!isRecord(b) || !isRecord(a)) return undefined;
  const fb = flatten(b);
  const fa = flatten(a);
  const paths = [...new Set([...fb.keys(), ...fa.keys()])];
  return paths.map((path): FieldChange => {
    const inB = fb.has(path);
    const inA = fa.has(path);
    const vb = fb.get(path);
    const va = fa.get(path);
    if (!inB) return { path, kind: "added", after: va };
    if (!inA) return { path, kind: "removed", before: vb };
    return same(vb, va) ? { path, kind: "unchanged", before: vb, after: va } : { path, kind: "changed", before: vb, after: va };
  });
}

/** A value as text: strings as they are, everything else as compact JSON. */
export function showValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined) return "";
  return JSON.stringify(v);
}
