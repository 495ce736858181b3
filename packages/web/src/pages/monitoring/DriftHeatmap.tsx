import type { MonitoringReport } from "@cairn/core";
import { type KeyboardEvent, useMemo, useRef, useState } from "react";
import { formatNumber } from "../../components/format.js";
import { cellStrength, type DriftCell, driftCells, featureRows, MAX_RATIO, METHOD_NAMES, type WindowKey, windowLabel } from "./monitoring-data.js";

/** Three decimals: the thresholds are 0.1 and 0.2, more digits are noise. */
export const formatStatistic = (v: number) => formatNumber(Number(v.toFixed(3)));

export interface SelectedCell {
  feature: string;
  start: string;
}

function verdictText(c: DriftCell): string {
  const d = c.drift;
  if (!d || c.status === "not_enough_data" || d.statistic === null) return `not enough data (${formatNumber(d?.count ?? 0)} values; at least 30 are needed)`;
  const what = `${METHOD_NAMES[d.method]} ${formatStatistic(d.statistic)}, threshold ${formatNumber(d.threshold)}`;
  return d.drifted ? `drifted: ${what}` : `no drift: ${what}`;
}

/** The colour of a judged cell: the drift colour mixed into the surface, stronger as the statistic nears twice its threshold. */
const cellBackground = (c: DriftCell) => (c.ratio === null || c.status === "not_enough_data" ? undefined : `color-mix(in srgb, var(--bad) ${cellStrength(c.ratio)}%, var(--surface-2))`);

/**
 * Feature × window grid of drift verdicts. Colour shows the statistic against its threshold; a
 * drifted cell also carries a "!" marker and "not enough data" a hatch, so colour is never the
 * only signal. One tab stop: arrow keys move between cells (roving tabindex), Enter/Space or a
 * click opens the two distributions.
 */
export function DriftHeatmap({ report, selected, onSelect }: { report: MonitoringReport; selected: SelectedCell | undefined; onSelect: (cell: SelectedCell) => void }) {
  const [order, setOrder] = useState<"drift" | "name">("drift");
  const { features, grid } = useMemo(() => {
    const rows = featureRows(report);
    const cells = driftCells(
      report,
      rows.map((f) => f.feature),
    );
    const indexed = rows.map((row, i) => ({ row, cells: cells[i]! }));
    // Triage order: the features drifted in most windows first, then the strongest statistic; names break ties.
    if (order === "drift") indexed.sort((a, b) => severity(b.cells) - severity(a.cells) || a.row.feature.localeCompare(b.row.feature));
    return { features: indexed.map((r) => r.row), grid: indexed.map((r) => r.cells) };
  }, [report, order]);
  const columns = report.windows.length;
  const [focus, setFocus] = useState<{ row: number; col: number }>({ row: 0, col: Math.max(0, columns - 1) });
  const host = useRef<HTMLDivElement>(null);
  const windowSize = report.window as WindowKey;
  // Wide enough to click when few, narrow enough that a week of hours fits before scrolling.
  const cellWidth = columns <= 24 ? 34 : columns <= 48 ? 22 : columns <= 200 ? 12 : 8;
  // A time label every few columns, so labels never overlap.
  const labelEvery = Math.max(1, Math.ceil(72 / cellWidth));

  const move = (row: number, col: number) => {
    const r = Math.min(features.length - 1, Math.max(0, row));
    const c = Math.min(columns - 1, Math.max(0, col));
    setFocus({ row: r, col: c });
    host.current?.querySelector<HTMLButtonElement>(`[data-row="${r}"][data-col="${c}"]`)?.focus();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const step: Record<string, [number, number]> = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    const d = step[e.key];
    if (d) {
      e.preventDefault();
      move(focus.row + d[0], focus.col + d[1]);
    } else if (e.key === "Home") {
      e.preventDefault();
      move(focus.row, 0);
    } else if (e.key === "End") {
      e.preventDefault();
      move(focus.row, columns - 1);
    }
  };

  return (
    <div className="heatmap-wrap">
      <label className="inline small heatmap-order">
        Order features
        <select value={order} onChange={(e) => setOrder(e.target.value === "name" ? "name" : "drift")}>
          <option value="drift">most drifted first</option>
          <option value="name">by name</option>
        </select>
      </label>
      <div ref={host} className="heatmap-scroll">
        <table className="heatmap" style={{ ["--cell-w" as string]: `${cellWidth}px` }}>
          <caption className="visually-hidden">Drift per feature (rows) and window (columns); arrow keys move between cells</caption>
          <thead>
            <tr>
              <th scope="col" className="heatmap-corner">
                Feature
              </th>
              {report.windows.map((w, col) => (
                <th scope="col" key={w.start} className="heatmap-time">
                  <span className="visually-hidden">{windowLabel(w.start, windowSize)}</span>
                  {col % labelEvery === 0 ? <span aria-hidden="true">{shortLabel(w.start, windowSize)}</span> : null}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {grid.map((cells, row) => {
              const f = features[row]!;
              return (
                <tr key={f.feature}>
                  <th scope="row" className="heatmap-feature" title={f.feature}>
                    <span className="heatmap-feature-name">{f.feature}</span> <span className="muted small">{f.type === "numerical" ? "num" : "cat"}</span>
                  </th>
                  {cells.map((c, col) => {
                    const isSelected = selected?.feature === c.feature && selected.start === c.start;
                    const label = `${c.feature}, ${windowLabel(c.start, windowSize)}: ${verdictText(c)}`;
                    const bg = cellBackground(c);
                    return (
                      <td key={c.start}>
                        <button
                          type="button"
                          className={`heatmap-cell ${c.status === "not_enough_data" ? "nodata" : c.status}`}
                          style={bg ? { background: bg } : undefined}
                          aria-label={label}
                          title={label}
                          aria-pressed={isSelected}
                          tabIndex={focus.row === row && focus.col === col ? 0 : -1}
                          data-row={row}
                          data-col={col}
                          data-feature={c.feature}
                          data-start={c.start}
                          data-status={c.status}
                          onFocus={() => setFocus({ row, col })}
                          onKeyDown={onKeyDown}
                          onClick={() => onSelect({ feature: c.feature, start: c.start })}
                        >
                          {c.status === "drift" ? (
                            <span className="heatmap-marker" aria-hidden="true">
                              !
                            </span>
                          ) : null}
                        </button>
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <HeatmapLegend report={report} />
    </div>
  );
}

/** Drifted windows, then the highest statistic ÷ threshold (below 1000, so it never outranks one more drifted window). */
function severity(cells: DriftCell[]): number {
  let drifted = 0;
  let top = 0;
  for (const c of cells) {
    if (c.status === "drift") drifted++;
    if (c.ratio !== null && c.status !== "not_enough_data") top = Math.max(top, c.ratio);
  }
  return drifted * 1000 + Math.min(top, 999);
}

function shortLabel(iso: string, window: WindowKey): string {
  const d = new Date(iso);
  if (window === "1d") return d.toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
  if (d.getHours() === 0) return d.toLocaleDateString(undefined, { day: "numeric", month: "short" });
  return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** The colour scale in units of each feature's threshold, the thresholds by method, and the two non-colour signals. */
function HeatmapLegend({ report }: { report: MonitoringReport }) {
  const methods = new Map<string, number>();
  for (const w of report.windows) for (const f of w.drift.features) methods.set(f.method, f.threshold);
  const steps = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];
  return (
    <div className="heatmap-legend small">
      <div className="legend-scale">
        <span className="muted">statistic ÷ threshold</span>
        <div className="legend-bar" aria-hidden="true">
          {steps.map((r) => (
            <span key={r} style={{ background: `color-mix(in srgb, var(--bad) ${cellStrength(r)}%, var(--surface-2))` }} />
          ))}
        </div>
        <div className="legend-ticks" aria-hidden="true">
          <span>0</span>
          <span>1 (threshold)</span>
          <span>≥ {MAX_RATIO}</span>
        </div>
      </div>
      <div className="legend-keys">
        <span className="legend-key">
          <span className="heatmap-cell drift legend-swatch" style={{ background: `color-mix(in srgb, var(--bad) ${cellStrength(1.5)}%, var(--surface-2))` }} aria-hidden="true">
            <span className="heatmap-marker">!</span>
          </span>
          drifted (at or above the threshold)
        </span>
        <span className="legend-key">
          <span className="heatmap-cell nodata legend-swatch" aria-hidden="true" />
          not enough data (fewer than 30 values)
        </span>
      </div>
      {methods.size > 0 && (
        <p className="muted legend-methods">
          Thresholds:{" "}
          {[...methods]
            .map(([m, t]) => `${METHOD_NAMES[m as keyof typeof METHOD_NAMES]} ≥ ${formatNumber(t)}${m === "linf" ? " (categorical)" : " (numerical)"}`)
            .join("; ")}
          .
        </p>
      )}
    </div>
  );
}
