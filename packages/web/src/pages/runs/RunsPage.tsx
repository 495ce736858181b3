import { FilterSyntaxError, parseFilter } from "@cairn/core";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { EmptyState, ErrorState, Loading } from "../../components/States.js";
import { formatNumber } from "../../components/format.js";
import { ColumnPicker } from "./ColumnPicker.js";
import { type Column, columnFromId, defaultColumns, type Direction, formatColumns, keysSeen, parseColumns, serverSortField, sortByDuration } from "./columns.js";
import { FilterBox } from "./FilterBox.js";
import { RunsTable } from "./RunsTable.js";
import { useRunSearch } from "./useRunSearch.js";
import "./runs.css";

/** The compare page shows 2 to 20 runs side by side. */
export const COMPARE_MIN = 2;
export const COMPARE_MAX = 20;

const DEFAULT_SORT = { column: "started", dir: "desc" as Direction };

/** Text columns start ascending (A→Z), figures and times descending (best/latest first). */
const firstDirection = (c: Column): Direction => (c.kind === "param" || c.kind === "tag" || (c.kind === "attribute" && (c.name === "name" || c.name === "status" || c.name === "id")) ? "asc" : "desc");

function FirstRunSnippet({ project }: { project: string }) {
  const snippet = `import { init } from "@cairn/sdk";

const run = await init({ project: ${JSON.stringify(project)}, params: { lr: 0.001, optimizer: "adam" } });
for (let epoch = 0; epoch < 10; epoch++) {
  run.log({ loss: 1 / (epoch + 1), accuracy: 0.5 + epoch / 25 }, { step: epoch });
}
await run.finish();`;
  return (
    <EmptyState title="No runs in this project yet">
      <p>Log a run from your training script; it shows up here with its params, metrics and tags:</p>
      <pre className="runs-snippet">
        <code>{snippet}</code>
      </pre>
    </EmptyState>
  );
}

/**
 * The filter parsed here as well as on the server (the same parser from the core contract,
 * which has no Node dependencies): a syntax error shows at once, at its column, and is never
 * sent; the server still checks everything and its 400 is shown the same way.
 */
function checkFilter(filter: string): { message: string; position: number | undefined } | undefined {
  try {
    parseFilter(filter);
    return undefined;
  } catch (e) {
    if (e instanceof FilterSyntaxError) return { message: e.message, position: e.position };
    throw e;
  }
}

/** Wall clock for running runs' durations and relative times, refreshed twice a minute. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/**
 * `/projects/:project/runs`: every run of the project in a virtualised table. The address holds
 * the filter, the sort and the columns, so a view can be shared and survives a reload.
 */
export default function RunsPage() {
  const { project = "" } = useParams();
  // A new project starts from a clean slate (no rows or selection of the previous one).
  return <RunsView key={project} project={project} />;
}

function RunsView({ project }: { project: string }) {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const filter = params.get("filter") ?? "";
  const sortColumn = columnFromId(params.get("sort") ?? "") ?? columnFromId(DEFAULT_SORT.column)!;
  const sortDir: Direction = params.get("dir") === "asc" ? "asc" : params.get("dir") === "desc" ? "desc" : params.has("sort") ? firstDirection(sortColumn) : DEFAULT_SORT.dir;
  const serverField = serverSortField(sortColumn);
  const orderBy = serverField ? `${serverField} ${sortDir}` : "";

  const [reloadToken, setReloadToken] = useState(0);
  const syntaxError = useMemo(() => checkFilter(filter), [filter]);
  // While the filter does not parse, the table keeps the runs of the last one that did.
  const lastValidFilter = useRef(filter);
  if (!syntaxError) lastValidFilter.current = filter;
  const search = useRunSearch(project, lastValidFilter.current, orderBy, reloadToken);
  const filterError = syntaxError ?? search.filterError;
  const now = useNow();

  const keys = useMemo(() => keysSeen(search.runs), [search.runs]);
  const chosen = useMemo(() => parseColumns(params.get("cols")), [params]);
  const columns = useMemo(() => chosen ?? defaultColumns(keys), [chosen, keys]);
  // Duration is the one column the API cannot sort: the loaded runs are sorted here.
  const shown = useMemo(() => (serverField ? search.runs : sortByDuration(search.runs, sortDir, now)), [search.runs, serverField, sortDir, now]);

  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const toggle = useCallback((id: string) => {
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  const update = useCallback(
    (change: (p: URLSearchParams) => void) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          change(next);
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  const setFilter = useCallback((f: string) => update((p) => (f.trim() ? p.set("filter", f) : p.delete("filter"))), [update]);
  const onSort = useCallback(
    (id: string) =>
      update((p) => {
        const c = columnFromId(id)!;
        const dir = id === sortColumn.id ? (sortDir === "asc" ? "desc" : "asc") : firstDirection(c);
        p.set("sort", id);
        p.set("dir", dir);
      }),
    [update, sortColumn.id, sortDir],
  );
  const setColumns = useCallback((cols: Column[]) => update((p) => p.set("cols", formatColumns(cols))), [update]);

  // For the benchmark and the 1 s target: the first frame after all runs are in the table.
  useEffect(() => {
    if (!search.done || search.pending || search.runs.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => performance.mark("runs:interactive"), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      if (timer) clearTimeout(timer);
    };
  }, [search.done, search.pending, search.runs]);

  const selectedIds = shown.filter((r) => selected.has(r.id)).map((r) => r.id);
  // Selected runs a new filter hides stay selected, and count.
  const selectionCount = selected.size;
  const canCompare = selectionCount >= COMPARE_MIN && selectionCount <= COMPARE_MAX;
  const compare = () => {
    const ids = [...selectedIds, ...[...selected].filter((id) => !selectedIds.includes(id))];
    navigate(`/projects/${encodeURIComponent(project)}/compare?runs=${ids.join(",")}`);
  };

  const loadingMore = !search.pending && !search.done;
  const stale = search.shownFor !== undefined && (search.shownFor.filter !== lastValidFilter.current || search.shownFor.orderBy !== orderBy);
  const noRunsAtAll = !search.pending && !search.error && !filterError && search.runs.length === 0 && search.done && !filter.trim();

  return (
    <>
      <div className="page-header">
        <div>
          <nav className="breadcrumbs" aria-label="Breadcrumbs">
            <Link to="/">Projects</Link> / {project}
          </nav>
          <h1>Runs</h1>
          <div className="subtitle" aria-live="polite">
            {search.pending ? (
              "Loading runs…"
            ) : (
              <>
                <span data-testid="run-count">{formatNumber(search.runs.length)}</span> {search.runs.length === 1 ? "run" : "runs"}
                {filter.trim() && !filterError ? " match the filter" : " in " + project}
                {loadingMore && " so far, loading more…"}
                {stale && !loadingMore && " (updating…)"}
              </>
            )}
          </div>
        </div>
        <div className="row">
          <Link to={`/projects/${encodeURIComponent(project)}/models`}>Models</Link>
        </div>
      </div>

      <section className="card runs-card">
        <div className="runs-toolbar">
          <FilterBox value={filter} onChange={setFilter} error={filterError} />
          <div className="runs-actions">
            <ColumnPicker columns={columns} keys={keys} onChange={setColumns} />
            <span className="small muted selection-count" aria-live="polite">
              {selectionCount === 0 ? "Select runs to compare" : `${selectionCount} selected`}
              {selectionCount > COMPARE_MAX && ` (at most ${COMPARE_MAX})`}
            </span>
            {selectionCount > 0 && (
              <button type="button" className="link" onClick={() => setSelected(new Set())}>
                Clear
              </button>
            )}
            <button type="button" className="primary" disabled={!canCompare} onClick={compare}>
              Compare{selectionCount > 0 ? ` ${selectionCount}` : ""}
            </button>
          </div>
        </div>
        {filterError && search.runs.length > 0 && <p className="small muted">Showing the runs of the last valid filter.</p>}
        {!serverField && loadingMore && <p className="small muted">Sorted by duration among the runs loaded so far.</p>}

        {search.error ? (
          <ErrorState error={search.error} retry={() => setReloadToken((t) => t + 1)} />
        ) : search.pending ? (
          <Loading rows={10} label="Loading runs" />
        ) : noRunsAtAll ? (
          <FirstRunSnippet project={project} />
        ) : shown.length === 0 && !filterError ? (
          <EmptyState title="No run matches this filter">
            <p>Loosen the filter, or clear it to see every run.</p>
            <button type="button" onClick={() => setFilter("")}>
              Clear the filter
            </button>
          </EmptyState>
        ) : (
          <RunsTable runs={shown} columns={columns} sort={{ column: sortColumn.id, dir: sortDir }} onSort={onSort} selected={selected} onToggle={toggle} now={now} />
        )}
      </section>
    </>
  );
}
