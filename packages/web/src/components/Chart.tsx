import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { isolatedPoints } from "./chart-gaps.js";
import { useTheme } from "../app/theme.js";

export interface ChartSeries {
  label: string;
  x: ArrayLike<number>;
  /** null marks a gap: a window without data, a NaN. */
  y: ArrayLike<number | null>;
  /**
   * Draw the line across nulls instead of leaving a gap. Off by default: a chart must not
   * suggest values where there were none (an empty monitoring window, a diverged step).
   */
  spanGaps?: boolean;
  /** Line colour; the palette colour for its position when omitted (e.g. a faded raw line under its smoothed one). */
  stroke?: string;
  width?: number;
}

export interface ChartProps {
  series: ChartSeries[];
  /** Accessible name of the chart (also its title when `showTitle`). */
  title: string;
  showTitle?: boolean;
  height?: number;
  /** x values are Unix seconds: uPlot draws dates. */
  xTime?: boolean;
  xLabel?: string;
  logY?: boolean;
  /** Called with the x range the user zoomed to (drag), or null when zoom is reset (double-click). */
  onZoom?: (range: { min: number; max: number } | null) => void;
  /** Called after each draw of the plot (e.g. to measure when a page's charts are on screen). */
  onDraw?: () => void;
}

/** Colour-blind-safe palette (Okabe–Ito, then Tableau) that reads on both themes. */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#9C755F"];

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** Series with their own x values become one aligned table (uPlot's data model). */
export function alignSeries(series: ChartSeries[]): uPlot.AlignedData {
  if (series.length === 1) {
    const s = series[0]!;
    return [Array.from(s.x), Array.from(s.y)] as uPlot.AlignedData;
  }
  return uPlot.join(series.map((s) => [Array.from(s.x), Array.from(s.y)] as uPlot.AlignedData));
}

/**
 * uPlot on a canvas: tens of thousands of points per series draw in milliseconds. The plot
 * is rebuilt when the series or options change and resized with its container.
 */
export function Chart({ series, title, showTitle = false, height = 240, xTime = false, xLabel, logY = false, onZoom, onDraw }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const theme = useTheme();
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const drawRef = useRef(onDraw);
  drawRef.current = onDraw;

  // biome-ignore lint/correctness/useExhaustiveDependencies: theme is read through CSS variables; the plot repaints when it changes
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const text = cssVar("--text") || "#1d2330";
    const grid = cssVar("--border") || "#d8dce3";
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    // A log scale cannot show zero or negative values: they become gaps rather than errors.
    const data = alignSeries(series);
    if (logY) for (let i = 1; i < data.length; i++) data[i] = (data[i] as (number | null | undefined)[]).map((v) => (v === undefined || (v !== null && v > 0) ? v : null));
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      ...(showTitle ? { title } : {}),
      scales: { x: { time: xTime }, y: logY ? { distr: 3 } : {} },
      axes: [{ ...axis, ...(xLabel ? { label: xLabel } : {}) }, { ...axis, size: 60 }],
      cursor: { drag: { x: true, y: false } },
      legend: { show: series.length > 0 },
      series: [
        { label: xLabel ?? (xTime ? "time" : "x") },
        ...series.map((s, i) => {
          const lone = isolatedPoints(data[i + 1] as (number | null | undefined)[], s.spanGaps ?? false);
          return { label: s.label, stroke: s.stroke ?? PALETTE[i % PALETTE.length]!, width: s.width ?? 1.5, spanGaps: s.spanGaps ?? false, points: { show: false, ...(lone.length > 0 ? { filter: lone } : {}) } };
        }),
      ],
      hooks: {
        draw: [() => drawRef.current?.()],
        setSelect: [
          (u) => {
            if (u.select.width < 2) return;
            const min = u.posToVal(u.select.left, "x");
            const max = u.posToVal(u.select.left + u.select.width, "x");
            zoomRef.current?.({ min, max });
          },
        ],
      },
    };
    const plot = new uPlot(opts, data, el);
    const onDouble = () => zoomRef.current?.(null);
    el.addEventListener("dblclick", onDouble);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      el.removeEventListener("dblclick", onDouble);
      plot.destroy();
    };
  }, [series, title, showTitle, height, xTime, xLabel, logY, theme]);

  return <div ref={host} className="chart" role="img" aria-label={title} style={{ minHeight: height }} />;
}

/** Exponential moving average with TensorBoard's debiasing, for the smoothing slider (0 = off). */
export function smooth(y: ArrayLike<number | null>, weight: number): (number | null)[] {
  const out: (number | null)[] = new Array(y.length);
  if (weight <= 0) {
    for (let i = 0; i < y.length; i++) out[i] = y[i] ?? null;
    return out;
  }
  let last = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = last / (1 - weight ** n);
  }
  return out;
}
