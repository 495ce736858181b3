import { FilterSyntaxError, isStorableTime, type CompareOp, type FieldRef, type FilterExpr, type Literal } from "@cairn/core";
import { sql, type SQL } from "drizzle-orm";

/**
 * Compiles the filter AST (parsed in core) to SQL over `runs r`. Every literal and key
 * is a bound parameter; the only raw text is operators from a fixed list, so no input
 * can change the statement's shape.
 */

const OPS: Record<CompareOp, string> = {
  "=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
  like: "like", ilike: "ilike", "not like": "not like", "not ilike": "not ilike",
};

/** The metric's latest value, via the (run_id, key) unique index. */
export function metricExpr(key: string): SQL {
  return sql`(select ms.last from metric_series ms where ms.run_id = r.id and ms.key = ${key})`;
}

function toMs(value: Literal, position: number): string {
  const ms = typeof value === "number" ? value : typeof value === "string" ? Date.parse(value) : NaN;
  if (!isStorableTime(ms)) throw new FilterSyntaxError(`${JSON.stringify(value)} is not a date between the years 1 and 9999`, position);
  return new Date(ms).toISOString();
}

const ATTRIBUTE_COLUMNS = {
  id: "r.id::text", parent: "r.parent_id::text", name: "r.name", status: "r.status", notes: "r.notes",
  created: "r.created_at", started: "r.started_at", ended: "r.ended_at",
} as const;

const isTime = (f: FieldRef) => f.kind === "attribute" && (f.name === "created" || f.name === "started" || f.name === "ended");

function compare(field: FieldRef, op: CompareOp, value: Literal, position: number): SQL {
  const o = sql.raw(OPS[op]);
  switch (field.kind) {
    case "metric": {
      if (typeof value !== "number" && !(typeof value === "string" && ["NaN", "Infinity", "-Infinity"].includes(value))) {
        throw new FilterSyntaxError("metrics compare with numbers", position);
      }
      return sql`${metricExpr(field.key)} ${o} ${String(value)}::float8`;
    }
    case "param": {
      const p = sql`r.params -> ${field.key}`;
      if (typeof value === "number") {
        return sql`(case when jsonb_typeof(${p}) = 'number' then (r.params ->> ${field.key})::float8 end) ${o} ${value}::float8`;
      }
      if (typeof value === "boolean") return sql`${p} ${o} ${JSON.stringify(value)}::jsonb`;
      return sql`(case when jsonb_typeof(${p}) = 'string' then r.params ->> ${field.key} end) ${o} ${String(value)}`;
    }
    case "tag":
      return sql`(r.tags ->> ${field.key}) ${o} ${String(value)}`;
    case "attribute": {
      const col = sql.raw(ATTRIBUTE_COLUMNS[field.name]);
      if (isTime(field)) return sql`${col} ${o} ${toMs(value, position)}::timestamptz`;
      if (field.name === "id" || field.name === "parent") return sql`${col} ${o} lower(${String(value)})`;
      return sql`${col} ${o} ${String(value)}`;
    }
  }
}

function isNull(field: FieldRef, negated: boolean): SQL {
  let present: SQL;
  switch (field.kind) {
    case "metric":
      present = sql`exists (select 1 from metric_series ms where ms.run_id = r.id and ms.key = ${field.key} and ms.count > 0)`;
      break;
    case "param":
      present = sql`(r.params ? ${field.key})`;
      break;
    case "tag":
      present = sql`(r.tags ? ${field.key})`;
      break;
    case "attribute":
      present = sql`(${sql.raw(ATTRIBUTE_COLUMNS[field.name])} is not null)`;
      break;
  }
  return negated ? present : sql`not ${present}`;
}

export function compileFilter(expr: FilterExpr): SQL {
  switch (expr.type) {
    case "and":
    case "or": {
      const parts = expr.items.map(compileFilter);
      return sql`(${sql.join(parts, sql.raw(expr.type === "and" ? " and " : " or "))})`;
    }
    case "not":
      return sql`(not ${compileFilter(expr.expr)})`;
    case "compare":
      return compare(expr.field, expr.op, expr.value, expr.position);
    case "in": {
      const any = sql.join(
        expr.values.map((v) => compare(expr.field, "=", v, expr.position)),
        sql.raw(" or "),
      );
      return expr.negated ? sql`(not (${any}))` : sql`(${any})`;
    }
    case "isNull":
      return isNull(expr.field, expr.negated);
  }
}

/**
 * Sort expression and the SQL type its cursor value is cast back to. A metric sort
 * joins its summary row once (`so`), rather than a subquery per use in ORDER BY and
 * in the cursor condition.
 */
export function sortExpr(field: FieldRef): { expr: SQL; type: string; join: SQL } {
  const none = sql``;
  switch (field.kind) {
    case "metric":
      return {
        expr: sql`so.last`,
        type: "float8",
        join: sql` left join metric_series so on so.run_id = r.id and so.key = ${field.key}`,
      };
    case "param":
      return { expr: sql`(r.params -> ${field.key})`, type: "jsonb", join: none };
    case "tag":
      return { expr: sql`(r.tags ->> ${field.key})`, type: "text", join: none };
    case "attribute": {
      const col = sql.raw(ATTRIBUTE_COLUMNS[field.name]);
      return { expr: sql`${col}`, type: isTime(field) ? "timestamptz" : "text", join: none };
    }
  }
}
