import type { MetricSummary, Run } from "@cairn/core";
import { useCallback, useMemo, useRef, useState } from "react";
import { EmptyState } from "../../components/States.js";
import { type ChartSettings, MetricChart, type XAxis } from "./MetricChart.js";
import { isSystemKey, SYSTEM_PREFIX } from "./metric-values.js";

/** Set on the page once every chart of the tab has drawn: the UI benchmark measures navigation → this mark. */
export const CHARTS_DRAWN_MARK = "cairn:run-charts-drawn";

/** Below this many charts, sections would hold one chart each: one grid reads better. */
const GROUP_FROM = 7;

/** Charts grouped by the key's first path segment (`train/loss`, `train/acc` → `train`), as W&B sections do. */
function groupKeys(keys: MetricSummary[], system: boolean): [string, MetricSummary[]][] {
  const groups = new Map<string, MetricSummary[]>();
  for (const m of keys) {
    const rest = system ? m.key.slice(SYSTEM_PREFIX.length) : m.key;
    const slash = rest.indexOf("/");
    const group = slash > 0 ? rest.slice(0, slash) : "";
    let list = groups.get(group);
    if (!list) groups.set(group, (list = []));
    list.push(m);
  }
  return [...groups.entries()].sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b)));
}

export function MetricsTab({ run, system }: { run: Run; system: boolean }) {
  const running = run.status === "running";
  // The run already carries every key's summary (the same list as GET /runs/{id}/metrics, kept
  // fresh by the run's own polling while it runs): charts start loading without another round trip.
  const summaries = run.metrics;
  const [filter, setFilter] = useState("");
  const [smoothing, setSmoothing] = useState(0);
  const [logY, setLogY] = useState(false);
  const [xAxis, setXAxis] = useState<XAxis>("step");
  const settings: ChartSettings = useMemo(() => ({ smoothing, logY, xAxis }), [smoothing, logY, xAxis]);

  const all = useMemo(
    () =>
      Object.values(summaries)
        .filter((m) => isSystemKey(m.key) === system)
        .sort((a, b) => a.key.localeCompare(b.key)),
    [summaries, system],
  );
  const q = filter.trim().toLowerCase();
  const shown = useMemo(() => (q ? all.filter((m) => m.key.toLowerCase().includes(q)) : all), [all, q]);
  const groups = useMemo((): [string, MetricSummary[]][] => (shown.length >= GROUP_FROM ? groupKeys(shown, system) : [["", shown]]), [shown, system]);

  // Performance mark once the first full set of charts is on screen (not on later re-draws).
  const drawn = useRef(new Set<string>());
  const marked = useRef(false);
  const [drawnCount, setDrawnCount] = useState(0);
  const expected = useRef(0);
  expected.current = shown.length;
  const onDrawn = useCallback((key: string) => {
    drawn.current.add(key);
    setDrawnCount(drawn.current.size);
    if (!marked.current && expected.current > 0 && drawn.current.size >= expected.current) {
      marked.current = true;
      performance.mark(CHARTS_DRAWN_MARK, { detail: { charts: drawn.current.size } });
    }
  }, []);

  if (all.length === 0) {
    return system ? (
      <EmptyState title="No system metrics">
        <p>
          Start the run with <code>init({"{ system: true }"})</code> to log CPU, memory, event-loop lag and GPU use under <code>system/</code> every 10 s.
        </p>
      </EmptyState>
    ) : (
      <EmptyState title="No metrics yet">
        <p>
          Log them from your script with <code>run.log({"{ loss: 0.31, \"val/acc\": 0.92 }"}, {"{ step: epoch }"})</code>.
        </p>
      </EmptyState>
    );
  }

  return (
    <div className="stack" data-charts-drawn={drawnCount} data-charts-expected={shown.length}>
      <div className="card run-chart-controls">
        <div className="row">
          <label className="inline">
            <span className="visually-hidden">Filter metrics</span>
            <input type="search" placeholder={`Filter ${all.length} metrics`} aria-label="Filter metrics" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </label>
          <label className="inline" title="Exponential moving average (TensorBoard-style, debiased)">
            Smoothing
            <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} aria-valuetext={smoothing === 0 ? "off" : String(smoothing)} />
            <span className="mono run-smoothing-value">{smoothing === 0 ? "off" : smoothing.toFixed(2)}</span>
          </label>
          <label className="inline">
            <input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} />
            Log scale
          </label>
          <label className="inline">
            X axis
            <select value={xAxis} onChange={(e) => setXAxis(e.target.value as XAxis)}>
              <option value="step">Step</option>
              <option value="time">Wall time</option>
            </select>
          </label>
          <span className="spacer" />
          <span className="muted small">Drag across a chart to zoom (loads that range in full); double-click to reset.</span>
        </div>
      </div>
      {shown.length === 0 ? (
        <EmptyState title={`No metric matches “${filter}”`}>
          <button type="button" onClick={() => setFilter("")}>
            Clear the filter
          </button>
        </EmptyState>
      ) : (
        groups.map(([group, list]) => (
          <section key={group || "(root)"} aria-label={group ? `Metrics under ${group}/` : "Metrics"}>
            {groups.length > 1 && (
              <h2 className="run-group-title">
                {group ? `${group}/` : "Other"} <span className="muted small">{list.length}</span>
              </h2>
            )}
            <div className="grid run-charts">
              {list.map((m) => (
                <MetricChart key={m.key} runId={run.id} summary={m} settings={settings} live={running} onDrawn={onDrawn} />
              ))}
            </div>
          </section>
        ))
      )}
    </div>
  );
}
