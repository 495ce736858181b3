import type { MetricHistory, MetricSummary, MetricSummaryList } from "@cairn/core";
import { keepPreviousData, type QueryClient, useQuery } from "@tanstack/react-query";
import { memo, useCallback, useMemo, useRef, useState } from "react";
import { api, seg } from "../../api/client.js";
import { loadHistory } from "../../api/histories.js";
import { Chart, type ChartSeries, PALETTE, smooth } from "../../components/Chart.js";
import { formatNumber } from "../../components/format.js";
import { chartValues, isSystemKey, metricNumber } from "./metric-values.js";

export type XAxis = "step" | "time";

export interface ChartSettings {
  smoothing: number;
  logY: boolean;
  xAxis: XAxis;
}

/** Points asked for before any zoom: enough for a sharp line at any chart width, small enough for 50 charts at once. */
export const OVERVIEW_POINTS = 1000;
const CHART_HEIGHT = 200;
/** Raw points under a smoothed line: the same colour, faded (hex alpha ≈ 30%). */
const FADED = `${PALETTE[0]}4D`;

interface StepRange {
  fromStep: number;
  toStep: number;
}

/** A zoomed range with at most this many steps is read raw: every point, which uPlot draws in a few ms. */
export const FULL_RESOLUTION_STEPS = 10_000;

/**
 * Points to ask for a zoomed range. Small ranges: all of them (the server's finest rollup
 * has 64-step buckets, too coarse for a close look). Wider ranges: two per pixel column, as
 * the server keeps each bucket's min and max.
 */
function zoomPoints(range: StepRange, width: number): number {
  const span = range.toStep - range.fromStep + 1;
  if (span <= FULL_RESOLUTION_STEPS) return Math.max(2, span);
  return Math.min(100_000, Math.max(200, Math.round(width * 2)));
}

/** The steps covering a wall-time range, from the points on screen (steps and times rise together). */
function stepsForTimeRange(h: MetricHistory, minSec: number, maxSec: number): StepRange | undefined {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < h.steps.length; i++) {
    const t = h.timestamps[i]! / 1000;
    if (t < minSec || t > maxSec) continue;
    const s = h.steps[i]!;
    if (s < from) from = s;
    if (s > to) to = s;
  }
  return Number.isFinite(from) ? { fromStep: from, toStep: to } : undefined;
}

function toSeries(h: MetricHistory, key: string, settings: ChartSettings): ChartSeries[] {
  let x: number[] = settings.xAxis === "time" ? h.timestamps.map((t) => t / 1000) : h.steps;
  let y = chartValues(h.values);
  if (settings.xAxis === "time") {
    // uPlot needs ascending x; clocks can step back (NTP), steps never do.
    let sorted = true;
    for (let i = 1; i < x.length && sorted; i++) if (x[i]! < x[i - 1]!) sorted = false;
    if (!sorted) {
      const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
      x = order.map((i) => x[i]!);
      y = order.map((i) => y[i] ?? null);
    }
  }
  if (settings.smoothing <= 0) return [{ label: key, x, y }];
  return [
    { label: `${key} (raw)`, x, y, stroke: FADED, width: 1 },
    { label: `${key} (smoothed)`, x, y: smooth(y, settings.smoothing), stroke: PALETTE[0]!, width: 1.5 },
  ];
}

/** One query key and one fetch for a chart's points, shared by the chart and the page's prefetch. */
export const historyQueryKey = (runId: string, key: string, range: StepRange | null, maxPoints: number) =>
  ["metric-history", runId, key, range?.fromStep, range?.toStep, maxPoints] as const;

/**
 * Overviews (no range) go out together: the charts' reads made at the same moment share one
 * batch request, each answer landing in its chart's own cache entry. A zoom reads its one
 * key's range on its own (it is the only chart asking, and it may be cancelled).
 */
export const fetchHistory = (runId: string, key: string, range: StepRange | null, maxPoints: number, signal?: AbortSignal) =>
  range === null
    ? loadHistory({ runId, key }, maxPoints)
    : api.get<MetricHistory>(`/runs/${seg(runId)}/metrics/${seg(key)}`, { maxPoints, fromStep: range.fromStep, toStep: range.toStep }, signal);

/**
 * Starts every chart's overview read as soon as the key list is known, in parallel with
 * loading the run itself (one batch request for up to 200 charts): the charts then find
 * their points in flight or already cached.
 */
export async function prefetchMetricCharts(queryClient: QueryClient, runId: string, system: boolean): Promise<void> {
  const list = await queryClient.fetchQuery({ queryKey: ["run-metrics", runId], queryFn: () => api.get<MetricSummaryList>(`/runs/${seg(runId)}/metrics`) });
  await Promise.all(
    list.metrics
      .filter((m) => isSystemKey(m.key) === system)
      .map((m) => queryClient.prefetchQuery({ queryKey: historyQueryKey(runId, m.key, null, OVERVIEW_POINTS), queryFn: ({ signal }) => fetchHistory(runId, m.key, null, OVERVIEW_POINTS, signal) })),
  );
}

export interface MetricChartProps {
  runId: string;
  summary: MetricSummary;
  settings: ChartSettings;
  /** Poll for new points (the run is still running and the chart is not zoomed). */
  live: boolean;
  onDrawn: (key: string) => void;
}

/** One metric's chart: its own query, its own zoom; drawn as soon as its points arrive. */
export const MetricChart = memo(function MetricChart({ runId, summary, settings, live, onDrawn }: MetricChartProps) {
  const key = summary.key;
  const [range, setRange] = useState<StepRange | null>(null);
  const [maxPoints, setMaxPoints] = useState(OVERVIEW_POINTS);
  const card = useRef<HTMLElement>(null);
  const history = useQuery({
    queryKey: historyQueryKey(runId, key, range, maxPoints),
    queryFn: ({ signal }) => fetchHistory(runId, key, range, maxPoints, signal),
    // The previous range stays drawn while the zoomed one loads: no blank chart, no jump.
    placeholderData: keepPreviousData,
    refetchInterval: live && range === null ? 10_000 : false,
  });
  const data = history.data;
  const series = useMemo(() => (data ? toSeries(data, key, settings) : undefined), [data, key, settings]);

  const onZoom = useCallback(
    (sel: { min: number; max: number } | null) => {
      if (sel === null) {
        setRange(null);
        setMaxPoints(OVERVIEW_POINTS);
        return;
      }
      let next: StepRange | undefined;
      if (settings.xAxis === "time") next = data ? stepsForTimeRange(data, sel.min, sel.max) : undefined;
      else next = { fromStep: Math.max(0, Math.floor(sel.min)), toStep: Math.max(0, Math.ceil(sel.max)) };
      if (!next || next.toStep < next.fromStep) return;
      setRange(next);
      setMaxPoints(zoomPoints(next, card.current?.clientWidth ?? 600));
    },
    [data, settings.xAxis],
  );

  const drawnOnce = useRef(false);
  const onDraw = useCallback(() => {
    if (drawnOnce.current) return;
    drawnOnce.current = true;
    onDrawn(key);
  }, [key, onDrawn]);

  const last = metricNumber(summary.last);
  return (
    <section ref={card} className="card chart-card run-chart" aria-label={`Metric ${key}`} data-metric-key={key}>
      <h3>
        <span className="mono run-chart-key" title={key}>
          {key}
        </span>
        <span className="spacer" />
        <span className="muted small" title={`last value at step ${summary.lastStep}`}>
          {formatNumber(last)}
        </span>
      </h3>
      {history.error && !data ? (
        <div className="alert bad run-chart-body" role="alert">
          Could not load {key}: {(history.error as Error).message}{" "}
          <button type="button" onClick={() => void history.refetch()}>
            Try again
          </button>
        </div>
      ) : series ? (
        <Chart
          series={series}
          title={`${key} by ${settings.xAxis === "time" ? "wall time" : "step"}`}
          height={CHART_HEIGHT}
          xTime={settings.xAxis === "time"}
          xLabel={settings.xAxis === "time" ? "time" : "step"}
          logY={settings.logY}
          onZoom={onZoom}
          onDraw={onDraw}
        />
      ) : (
        <div className="skeleton run-chart-body" role="status" aria-label={`Loading ${key}`} />
      )}
      <div className="row small muted run-chart-foot">
        <span>
          {data ? (
            <>
              {formatNumber(data.steps.length)} of {formatNumber(data.total)} points
              {data.downsampled ? " (min/max per bucket)" : ""}
              {range ? ` · steps ${formatNumber(range.fromStep)}–${formatNumber(range.toStep)}` : ""}
            </>
          ) : (
            " "
          )}
        </span>
        <span className="spacer" />
        {history.isFetching && data && <span aria-live="polite">loading…</span>}
        {range && (
          <button type="button" className="link" onClick={() => onZoom(null)}>
            Reset zoom
          </button>
        )}
      </div>
    </section>
  );
});
