/**
 * The run filter language's syntax tree. Parsed in core (so the UI can show errors
 * as the user types) and compiled to parameterised SQL by the server.
 */

/** What a filter term refers to. `metrics.<key>` means the metric's latest value. */
export type FieldRef =
  | { kind: "metric"; key: string }
  | { kind: "param"; key: string }
  | { kind: "tag"; key: string }
  | { kind: "attribute"; name: RunAttribute };

export const RUN_ATTRIBUTES = ["id", "name", "status", "created", "started", "ended", "parent", "notes"] as const;
export type RunAttribute = (typeof RUN_ATTRIBUTES)[number];

export type Literal = string | number | boolean | null;

export type CompareOp = "=" | "!=" | "<" | "<=" | ">" | ">=" | "like" | "ilike" | "not like" | "not ilike";

export type FilterExpr =
  | { type: "and"; items: FilterExpr[] }
  | { type: "or"; items: FilterExpr[] }
  | { type: "not"; expr: FilterExpr }
  /** `position` is the 1-based column where the term starts, for error messages. */
  | { type: "compare"; field: FieldRef; op: CompareOp; value: Literal; position: number }
  | { type: "in"; field: FieldRef; values: Literal[]; negated: boolean; position: number }
  /** `field is null` / `field is not null`: whether the run has that metric, param or tag. */
  | { type: "isNull"; field: FieldRef; negated: boolean; position: number };

export interface OrderBy {
  field: FieldRef;
  direction: "asc" | "desc";
}

/** A syntax or meaning error in a filter, at a 1-based column. */
export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at column ${position})`);
    this.name = "FilterSyntaxError";
  }
}
