import type { CreateDatasetVersion, FieldError } from "@cairn/core";

/** Which statistics block each column type may carry (datetimes are profiled as epoch ms). */
const ALLOWED_STATS: Record<string, ReadonlyArray<string>> = {
  numerical: ["numerical"],
  datetime: ["numerical"],
  categorical: ["categorical"],
  boolean: ["boolean", "categorical"],
  text: ["text", "categorical"],
};
const STATS_KEYS = ["numerical", "categorical", "boolean", "text"] as const;

/**
 * A profile must describe the data its schema describes: the same columns in the same
 * order with the same types, counts that add up to the row count, no missing values in a
 * non-nullable column, and no statistics of another type. Each error names the column
 * by index and by name, so the client can tell which one its profiler got wrong.
 */
export function checkVersionBody(input: CreateDatasetVersion): FieldError[] {
  const errors: FieldError[] = [];
  const { schema, profile, rowCount } = input;
  const seen = new Set<string>();
  schema.columns.forEach((c, i) => {
    if (seen.has(c.name)) errors.push({ path: `schema.columns[${i}].name`, message: `column "${c.name}" appears twice` });
    seen.add(c.name);
  });
  if (!profile) return errors;
  if (profile.rowCount !== rowCount) errors.push({ path: "profile.rowCount", message: `is ${profile.rowCount} but rowCount is ${rowCount}` });
  if (profile.columns.length !== schema.columns.length) {
    errors.push({ path: "profile.columns", message: `has ${profile.columns.length} columns but the schema has ${schema.columns.length}` });
  }
  profile.columns.forEach((p, i) => {
    const at = `profile.columns[${i}]`;
    const s = schema.columns[i];
    if (!s) return;
    if (p.name !== s.name) {
      errors.push({ path: `${at}.name`, message: `column "${p.name}" is "${s.name}" in the schema at this position` });
      return;
    }
    if (p.type !== s.type) errors.push({ path: `${at}.type`, message: `column "${p.name}" is ${p.type} but ${s.type} in the schema` });
    if (p.count + p.missing !== rowCount) {
      errors.push({ path: `${at}.count`, message: `column "${p.name}": count ${p.count} + missing ${p.missing} is not the row count ${rowCount}` });
    }
    if (!s.nullable && p.missing > 0) errors.push({ path: `${at}.missing`, message: `column "${p.name}" is not nullable in the schema but has ${p.missing} missing values` });
    const allowed = ALLOWED_STATS[s.type] ?? [];
    for (const k of STATS_KEYS) {
      if (p[k] !== undefined && !allowed.includes(k)) errors.push({ path: `${at}.${k}`, message: `column "${p.name}" is ${s.type}: it has no ${k} statistics` });
    }
    if (s.domain && p.categorical?.complete) {
      const domain = new Set(s.domain);
      const outside = p.categorical.top.find((t) => !domain.has(t.value));
      if (outside) errors.push({ path: `${at}.categorical.top`, message: `column "${p.name}": value "${outside.value.slice(0, 100)}" is not in the schema's domain` });
    }
  });
  return errors;
}
