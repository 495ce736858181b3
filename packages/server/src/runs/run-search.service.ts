import { FilterSyntaxError, isUuid, parseFilter, parseOrderBy, type OrderBy, type RunList, type RunSearchQuery } from "@cairn/core";
import { sql, type SQL } from "drizzle-orm";
import { rows } from "../db/client.js";
import { ValidationError } from "../http/errors.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import { authorizeProject } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import type { ServerContext } from "../server-context.js";
import { compileFilter, sortExpr } from "./filter-sql.js";
import { withPurgeAt } from "../projects/projects.service.js";
import { loadSummaries, RUN_COLUMNS, toRun, type RunRow } from "./run-rows.js";

interface SearchCursor {
  /** The sort value as PostgreSQL printed it (exact for floats and timestamps), or null. */
  v: string | null;
  id: string;
}
const isSearchCursor = (x: unknown): x is SearchCursor =>
  typeof x === "object" && x !== null && typeof (x as SearchCursor).id === "string" &&
  isUuid((x as SearchCursor).id) && ((x as SearchCursor).v === null || typeof (x as SearchCursor).v === "string");

function parseOrFail<T>(fn: () => T, param: "filter" | "orderBy"): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FilterSyntaxError) {
      throw new ValidationError(`invalid ${param}: ${e.message}`, [{ path: `query.${param}`, message: e.message, position: e.position }], "invalid_filter");
    }
    throw e;
  }
}

/**
 * Keyset pagination on (sort value, id) with nulls last: stable under inserts and
 * cheap at any depth, unlike OFFSET.
 */
/** A cursor's sort value must parse as its column's type: a forged cursor is a 400, not a database error. */
function checkCursorValue(type: string, v: string | null): void {
  if (v === null) return;
  const ok =
    !v.includes("\u0000") &&
    (type === "float8"
      ? /^(-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|NaN|-?Infinity)$/.test(v)
      : type === "timestamptz"
        ? /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/.test(v)
        : type === "jsonb"
          ? (() => {
              try {
                JSON.parse(v);
                return true;
              } catch {
                return false;
              }
            })()
          : true);
  if (!ok) throw new ValidationError("invalid cursor", [{ path: "query.cursor", message: "is not a cursor this server issued" }]);
}

function keyset(e: SQL, type: string, dir: "asc" | "desc", c: SearchCursor): SQL {
  checkCursorValue(type, c.v);
  const t = sql.raw(type);
  const gt = sql.raw(dir === "asc" ? ">" : "<");
  if (c.v === null) return sql`(${e} is null and r.id ${gt} ${c.id}::uuid)`;
  return sql`((${e} ${gt} ${c.v}::${t}) or (${e} = ${c.v}::${t} and r.id ${gt} ${c.id}::uuid) or ${e} is null)`;
}

export async function searchRuns({ ctx, actor, projectRef, query }: { ctx: ServerContext; actor: Actor; projectRef: string; query: RunSearchQuery }): Promise<RunList> {
  const db = ctx.db.orm;
  const project = await authorizeProject(db, actor, projectRef, "reader");
  const filter = query.filter ? parseOrFail(() => parseFilter(query.filter!), "filter") : null;
  const order: OrderBy = (query.orderBy ? parseOrFail(() => parseOrderBy(query.orderBy!), "orderBy") : null) ?? {
    field: { kind: "attribute", name: "created" },
    direction: "desc",
  };
  const where = filter ? parseOrFail(() => compileFilter(filter), "filter") : sql`true`;
  const { expr, type, join } = sortExpr(order.field);
  const dir = sql.raw(order.direction);
  const after = query.cursor ? keyset(expr, type, order.direction, decodeCursor(query.cursor, isSearchCursor)) : sql`true`;
  // The project is live (authorizeProject), so a run's own deleted_at decides.
  const deleted = query.deleted === "only" ? sql`r.deleted_at is not null` : query.deleted === "include" ? sql`true` : sql`r.deleted_at is null`;

  const page = await rows<RunRow & { sort_key: string | null }>(
    db,
    sql`select ${RUN_COLUMNS}, (${expr})::text as sort_key
        from runs r${join}
        where r.project_id = ${project.id}::uuid and ${deleted} and ${where} and ${after}
        order by ${expr} ${dir} nulls last, r.id ${dir}
        limit ${query.limit + 1}`,
  );
  const items = page.slice(0, query.limit);
  const summaries = await loadSummaries(db, items.map((r) => r.id));
  const last = items[items.length - 1];
  return {
    runs: items.map((r) => withPurgeAt(ctx, toRun(r, summaries.get(r.id) ?? {}))),
    nextCursor: page.length > query.limit && last ? encodeCursor({ v: last.sort_key, id: last.id } satisfies SearchCursor) : null,
  };
}
