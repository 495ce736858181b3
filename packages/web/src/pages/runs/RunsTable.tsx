import type { Run } from "@cairn/core";
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useRef } from "react";
import { Link } from "react-router";
import { StatusBadge } from "../../components/StatusBadge.js";
import { formatDuration, formatNumber, formatRelative } from "../../components/format.js";
import { type Column, type Direction, durationMs } from "./columns.js";

/** Rows are one line (no wrapping), so every row is this tall and the virtualiser never re-measures. */
export const ROW_HEIGHT = 37;

/** One date formatter for every row: `toLocaleString()` builds a new formatter per call. */
const exactTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** Relative time with the exact time on hover, like the shared Time component, cheaper per row. */
function RunTime({ iso, now }: { iso: string | null; now: number }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={exactTime.format(Date.parse(iso))}>
      {formatRelative(iso, now)}
    </time>
  );
}

const isNumeric = (c: Column) => c.kind === "metric" || (c.kind === "attribute" && c.name === "duration");

function Cell({ run, column, now }: { run: Run; column: Column; now: number }) {
  switch (column.kind) {
    case "metric": {
      const m = run.metrics[column.key];
      if (!m) return <span className="muted">—</span>;
      return <>{typeof m.last === "number" ? formatNumber(m.last) : m.last}</>;
    }
    case "param": {
      const v = run.params[column.key];
      return v === undefined ? <span className="muted">—</span> : String(v);
    }
    case "tag": {
      const v = run.tags[column.key];
      return v === undefined ? <span className="muted">—</span> : v;
    }
    case "attribute":
      switch (column.name) {
        case "status":
          return <StatusBadge status={run.status} />;
        case "started":
          return <RunTime iso={run.startedAt} now={now} />;
        case "ended":
          return <RunTime iso={run.endedAt} now={now} />;
        case "created":
          return <RunTime iso={run.createdAt} now={now} />;
        case "duration":
          return <>{formatDuration(durationMs(run, now))}</>;
        case "id":
          return <span className="mono">{run.id}</span>;
        case "name":
          return <>{run.name}</>;
      }
  }
}

const cellTitle = (run: Run, c: Column): string | undefined => {
  if (c.kind === "param") return run.params[c.key] === undefined ? undefined : String(run.params[c.key]);
  if (c.kind === "tag") return run.tags[c.key];
  if (c.kind === "metric") {
    const m = run.metrics[c.key];
    return m ? `${c.key}: ${m.last} (step ${m.lastStep}; min ${m.min ?? "—"}, max ${m.max ?? "—"})` : undefined;
  }
  return undefined;
};

/** One run. Memoised: scrolling re-renders only the rows that come into view. */
const RunRow = memo(function RunRow({
  run,
  columns,
  selected,
  onToggle,
  now,
}: {
  run: Run;
  columns: readonly Column[];
  selected: boolean;
  onToggle: (id: string) => void;
  now: number;
}) {
  return (
    <tr data-run-id={run.id} aria-selected={selected} className={selected ? "selected" : undefined}>
      <td className="select">
        <input type="checkbox" checked={selected} onChange={() => onToggle(run.id)} aria-label={`Select run ${run.name}`} />
      </td>
      <td className="name" title={run.name}>
        <Link to={`/runs/${encodeURIComponent(run.id)}`}>{run.name}</Link>
      </td>
      {columns.map((c) => (
        <td key={c.id} className={isNumeric(c) ? "num" : undefined} title={cellTitle(run, c)}>
          <Cell run={run} column={c} now={now} />
        </td>
      ))}
    </tr>
  );
});

function SortHeader({ column, label, sort, onSort }: { column: string; label: string; sort: { column: string; dir: Direction }; onSort: (column: string) => void }) {
  const active = sort.column === column;
  return (
    <button type="button" className="sort" onClick={() => onSort(column)} aria-label={`Sort by ${label}`} title={`Sort by ${label}`}>
      <span>{label}</span>
      <span aria-hidden="true" className={active ? "arrow" : "arrow idle"}>
        {active ? (sort.dir === "asc" ? "▲" : "▼") : "↕"}
      </span>
    </button>
  );
}

/** Fixed column widths (table-layout: fixed): columns keep their width as other rows scroll into view. */
const SELECT_WIDTH = 40;
const NAME_WIDTH = 260;
const widthOf = (c: Column) => (c.kind === "attribute" ? (c.name === "id" ? 300 : c.name === "status" ? 110 : 150) : 140);

/**
 * The runs as a table whose body is virtualised: only the rows in view (and a few either
 * side) are in the DOM, between two spacer rows as tall as the rows left out, so 10,000
 * runs scroll like 50 and the table keeps its native semantics. The header stays put
 * (sticky) and every row links to its run.
 */
export function RunsTable({
  runs,
  columns,
  sort,
  onSort,
  selected,
  onToggle,
  now,
}: {
  runs: readonly Run[];
  columns: readonly Column[];
  sort: { column: string; dir: Direction };
  onSort: (column: string) => void;
  selected: ReadonlySet<string>;
  onToggle: (id: string) => void;
  now: number;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: runs.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => runs[i]!.id,
  });
  const items = virtualizer.getVirtualItems();
  const before = items.length > 0 ? items[0]!.start : 0;
  const after = items.length > 0 ? virtualizer.getTotalSize() - items[items.length - 1]!.end : 0;
  const width = SELECT_WIDTH + NAME_WIDTH + columns.reduce((sum, c) => sum + widthOf(c), 0);
  const ariaSort = (id: string) => (sort.column === id ? (sort.dir === "asc" ? "ascending" : "descending") : undefined);

  return (
    // As tall as the window allows, but no taller than the rows need (a short list leaves no empty box).
    <div className="runs-scroll" ref={scrollRef} tabIndex={-1} data-testid="runs-scroll" style={{ height: `min(max(calc(100vh - 300px), 320px), ${runs.length * ROW_HEIGHT + 48}px)` }}>
      <table className="data runs-table" aria-rowcount={runs.length + 1} style={{ width }}>
        <caption className="visually-hidden">Runs</caption>
        <colgroup>
          <col style={{ width: SELECT_WIDTH }} />
          <col style={{ width: NAME_WIDTH }} />
          {columns.map((c) => (
            <col key={c.id} style={{ width: widthOf(c) }} />
          ))}
        </colgroup>
        <thead>
          <tr>
            <th scope="col" className="select">
              <span className="visually-hidden">Selected</span>
            </th>
            <th scope="col" className="name" aria-sort={ariaSort("name")}>
              <SortHeader column="name" label="Name" sort={sort} onSort={onSort} />
            </th>
            {columns.map((c) => (
              <th key={c.id} scope="col" className={isNumeric(c) ? "num" : undefined} aria-sort={ariaSort(c.id)} title={c.id}>
                <SortHeader column={c.id} label={c.label} sort={sort} onSort={onSort} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {before > 0 && <tr className="spacer" style={{ height: before }} />}
          {items.map((item) => {
            const run = runs[item.index]!;
            return <RunRow key={item.key} run={run} columns={columns} selected={selected.has(run.id)} onToggle={onToggle} now={now} />;
          })}
          {after > 0 && <tr className="spacer" style={{ height: after }} />}
        </tbody>
      </table>
    </div>
  );
}
