import { type CreateDatasetVersion, type FieldError, validateProfileAgainstSchema } from "@cairn/core";

/**
 * A version's schema names each column once, and its profile describes the data the schema
 * describes (core's check: types, counts adding up to the row count, nullability, statistics
 * of the column's type, categories within the domain). Each error names the column by its
 * index in the body and by name.
 */
export function checkVersionBody(input: CreateDatasetVersion): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  input.schema.columns.forEach((c, i) => {
    if (seen.has(c.name)) errors.push({ path: `schema.columns[${i}].name`, message: `column "${c.name}" appears twice` });
    seen.add(c.name);
  });
  if (!input.profile) return errors;
  errors.push(...validateProfileAgainstSchema(input.schema, input.profile, input.rowCount));
  // PostgreSQL's jsonb cannot hold NUL: a category value with one is a 400 here, not a 500 there.
  input.profile.columns.forEach((c, i) => {
    if (JSON.stringify(c).includes("\\u0000")) errors.push({ path: `profile.columns[${i}]`, message: `column "${c.name}" has a value with a NUL character` });
  });
  return errors;
}
