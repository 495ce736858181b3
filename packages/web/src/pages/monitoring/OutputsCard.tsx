import type { MonitoringReport } from "@cairn/core";
import { useMemo } from "react";
import { Chart, type ChartSeries } from "../../components/Chart.js";
import { EmptyState } from "../../components/States.js";
import { toSeconds } from "./monitoring-data.js";

/** Classes drawn at most; the rest of the shares stay in the report (and sum with these to 1). */
const MAX_CLASSES = 8;
const NUMERIC_OUTPUT_KEYS = new Set(["mean", "p5", "p25", "p50", "p75", "p95"]);

/**
 * What the model answered per window: the share of each predicted class (or, for numbers,
 * the mean and quartiles) and the score it sent. A shift here with stable inputs points at
 * the model; with drifted inputs, at the traffic.
 */
export function OutputsCard({ report }: { report: MonitoringReport }) {
  const { outputs, scores, numeric } = useMemo(() => outputSeries(report), [report]);
  return (
    <section className="card chart-card" aria-labelledby="outputs-title">
      <h2 id="outputs-title">Predictions and scores</h2>
      {outputs.length === 0 ? (
        <EmptyState title="No outputs in this range" />
      ) : (
        <Chart title={numeric ? "Predicted value per window: mean and quartiles" : "Share of each predicted class per window"} series={outputs} xTime height={200} />
      )}
      {scores.length > 0 ? (
        <Chart title="Score per window: mean, median and p95" series={scores} xTime height={160} />
      ) : (
        <p className="muted small">
          No scores sent: pass <code>score</code> to <code>logPrediction()</code> for the score distribution.
        </p>
      )}
    </section>
  );
}

function outputSeries(report: MonitoringReport): { outputs: ChartSeries[]; scores: ChartSeries[]; numeric: boolean } {
  const x = report.windows.map((w) => toSeconds(w.start));
  const withData = report.windows.filter((w) => w.count > 0);
  const numeric = withData.length > 0 && withData.every((w) => Object.keys(w.output).every((k) => NUMERIC_OUTPUT_KEYS.has(k)) && "mean" in w.output);
  let outputs: ChartSeries[];
  if (numeric) {
    outputs = ["p25", "mean", "p75"].map((k) => ({ label: k, x, y: report.windows.map((w) => (w.count > 0 ? (w.output[k] ?? null) : null)) }));
  } else {
    const weight = new Map<string, number>();
    for (const w of withData) for (const [cls, share] of Object.entries(w.output)) weight.set(cls, (weight.get(cls) ?? 0) + share * w.count);
    const classes = [...weight].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, MAX_CLASSES);
    // A window without predictions is a gap; one where a class was never predicted is a share of 0.
    outputs = classes.map(([cls]) => ({ label: `class ${cls}`, x, y: report.windows.map((w) => (w.count > 0 ? (w.output[cls] ?? 0) : null)) }));
  }
  const hasScores = report.windows.some((w) => w.score !== null && w.score.mean !== null);
  const scores: ChartSeries[] = hasScores ? (["mean", "p50", "p95"] as const).map((k) => ({ label: k === "p50" ? "median" : k, x, y: report.windows.map((w) => w.score?.[k] ?? null) })) : [];
  return { outputs, scores, numeric };
}
