import type { MetricHistory } from "@cairn/core";
import { keepPreviousData, useQueries } from "@tanstack/react-query";
import { useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import { loadHistory } from "../../api/histories.js";
import { Chart, type ChartSeries, smooth } from "../../components/Chart.js";
import { ErrorState, Loading } from "../../components/States.js";
import { formatNumber } from "../../components/format.js";
import { type ComparedRun, groupKeys, metricNumber } from "./model.js";

export type XAxis = "step" | "time" | "relative";

export interface ChartOptions {
  smoothing: number;
  logY: boolean;
  xAxis: XAxis;
}

/** A step range the user zoomed to; every chart fetches it at full resolution. */
export type StepRange = { from: number; to: number } | null;

/** Points per series: about two per pixel of a half-width chart, the server downsamples the rest (min/max per bucket). */
const MAX_POINTS = 1000;
const CHART_HEIGHT = 220;
/** Live runs' curves are refetched this often. */
const LIVE_REFRESH_MS = 15_000;

/** True once the element has come near the viewport: charts further down fetch nothing until scrolled to. */
function useNearViewport(ref: React.RefObject<HTMLElement | null>): boolean {
  const [near, setNear] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || near) return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setNear(true), { rootMargin: "400px 0px" });
    io.observe(el);
    return () => io.disconnect();
  }, [ref, near]);
  return near;
}

const X_LABEL: Record<XAxis, string> = { step: "step", time: "time", relative: "seconds since start" };

function toSeries(h: MetricHistory, c: ComparedRun, opts: ChartOptions): ChartSeries {
  const startMs = Date.parse(c.run.startedAt);
  const points = h.steps.map((step, i) => {
    const ts = h.timestamps[i] ?? 0;
    const x = opts.xAxis === "step" ? step : opts.xAxis === "time" ? ts / 1000 : (ts - startMs) / 1000;
    const v = metricNumber(h.values[i]);
    // NaN and ±Infinity cannot be drawn: they are gaps in the line.
    return { x, y: v !== null && Number.isFinite(v) ? v : null };
  });
  // Steps arrive in order; wall-clock times of a resumed run need not.
  if (opts.xAxis !== "step") points.sort((a, b) => a.x - b.x);
  const y = points.map((p) => p.y);
  return { label: c.label, x: points.map((p) => p.x), y: opts.smoothing > 0 ? smooth(y, opts.smoothing) : y, stroke: c.colour };
}

function MetricChart({ metricKey, runs, opts, zoom, onZoom }: { metricKey: string; runs: ComparedRun[]; opts: ChartOptions; zoom: StepRange; onZoom: (r: StepRange) => void }) {
  const host = useRef<HTMLElement>(null);
  const near = useNearViewport(host);
  const withKey = runs.filter((c) => c.run.metrics[metricKey] !== undefined);
  const histories = useQueries({
    queries: withKey.map((c) => ({
      queryKey: ["compare", "history", c.run.id, metricKey, MAX_POINTS, zoom?.from ?? null, zoom?.to ?? null],
      // Every chart coming into view (or every chart on a zoom) reads at the same moment: one batch request.
      queryFn: () => loadHistory({ runId: c.run.id, key: metricKey, fromStep: zoom?.from, toStep: zoom?.to }, MAX_POINTS),
      enabled: near,
      // A zoom keeps the old curves on screen until the detailed ones arrive: no flash.
      placeholderData: keepPreviousData,
      refetchInterval: c.run.status === "running" ? LIVE_REFRESH_MS : (false as const),
    })),
  });
  const error = histories.find((h) => h.error)?.error;
  const ready = histories.every((h) => h.data !== undefined);
  const data = histories.map((h) => h.data);
  // The plot is rebuilt only when a history is refetched, a run comes or goes, or an option
  // changes: fixed-size string keys stand for those (a dependency list must not change length).
  const fetchedAt = histories.map((h) => `${h.dataUpdatedAt}:${h.isPlaceholderData}`).join();
  const runKey = withKey.map((c) => c.run.id + c.label + c.colour).join();
  // biome-ignore lint/correctness/useExhaustiveDependencies: fetchedAt and runKey stand for data and withKey (see above)
  const series = useMemo(() => (ready ? data.map((h, i) => toSeries(h!, withKey[i]!, opts)) : []), [ready, fetchedAt, runKey, opts]);
  const downsampled = data.filter((h) => h?.downsampled);
  const stepZoom = opts.xAxis === "step";

  return (
    <section ref={host} className="card chart-card compare-chart" aria-label={`Metric ${metricKey}`} data-metric={metricKey}>
      <h3>
        <span className="compare-chart-key">{metricKey}</span>
        <span className="spacer" />
        <span className="muted small">
          {withKey.length} of {runs.length} runs
        </span>
      </h3>
      <div style={{ minHeight: CHART_HEIGHT + 40 }}>
        {error ? (
          <ErrorState error={error} retry={() => histories.forEach((h) => h.error && void h.refetch())} />
        ) : !ready ? (
          <Loading rows={6} label={`Loading ${metricKey}`} />
        ) : (
          <Chart
            series={series}
            title={`${metricKey} for ${withKey.length} runs`}
            height={CHART_HEIGHT}
            xTime={opts.xAxis === "time"}
            xLabel={X_LABEL[opts.xAxis]}
            logY={opts.logY}
            {...(stepZoom ? { onZoom: (r: { min: number; max: number } | null) => onZoom(r ? { from: Math.max(0, Math.floor(r.min)), to: Math.max(0, Math.ceil(r.max)) } : null) } : {})}
          />
        )}
      </div>
      {downsampled.length > 0 && (
        <p className="muted small compare-chart-note">
          Downsampled to {formatNumber(MAX_POINTS)} points per run (of up to {formatNumber(Math.max(...downsampled.map((h) => h!.total)))}); each bucket keeps its minimum and maximum. Drag over the chart
          to zoom in.
        </p>
      )}
    </section>
  );
}

/** One overlaid chart per metric key, grouped by the key's first path segment. */
export function MetricCharts({ keys, runs, opts, zoom, onZoom }: { keys: string[]; runs: ComparedRun[]; opts: ChartOptions; zoom: StepRange; onZoom: (r: StepRange) => void }) {
  // Dragging the smoothing slider re-smooths every chart: keep the slider itself responsive.
  const deferred = useDeferredValue(opts);
  return (
    <div className="stack">
      {groupKeys(keys).map(({ group, keys: groupKeysList }) => (
        <div key={group || "(top)"} className="compare-group">
          {group && <h3 className="compare-group-title">{group}/</h3>}
          <div className="grid grid-2">
            {groupKeysList.map((k) => (
              <MetricChart key={k} metricKey={k} runs={runs} opts={deferred} zoom={zoom} onZoom={onZoom} />
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}
