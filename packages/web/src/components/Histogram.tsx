import { formatNumber } from "./format.js";

export interface HistogramBin {
  /** What the bar stands for, e.g. `[0.5, 1.0)` or a category; shown on hover. */
  label: string;
  count: number;
}

/**
 * Bins of an equal-width numeric histogram (edges from a profile) as labelled bars; the last
 * bin is closed on both sides, as numpy's is.
 */
export function numericBins(edges: readonly number[], counts: readonly number[]): HistogramBin[] {
  return counts.map((count, i) => ({
    label: `${formatNumber(edges[i]!)} – ${formatNumber(edges[i + 1]!)}${i === counts.length - 1 ? "" : " (excl.)"}`,
    count,
  }));
}

/**
 * A small SVG bar chart (a profile column's distribution): no canvas, no library, theme
 * colours from CSS variables, a tooltip per bar and a text summary for screen readers.
 */
export function Histogram({ bins, title, width = 160, height = 40 }: { bins: readonly HistogramBin[]; title: string; width?: number; height?: number }) {
  const max = bins.reduce((m, b) => Math.max(m, b.count), 0);
  const total = bins.reduce((s, b) => s + b.count, 0);
  if (bins.length === 0 || max === 0) {
    return (
      <span className="muted small" role="img" aria-label={`${title}: no values`}>
        no values
      </span>
    );
  }
  const gap = bins.length > 40 ? 0 : 1;
  const barW = (width - gap * (bins.length - 1)) / bins.length;
  const peak = bins.reduce((best, b) => (b.count > best.count ? b : best), bins[0]!);
  return (
    <svg
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${title}: ${bins.length} bins, ${formatNumber(total)} values, most in ${peak.label}`}
      data-histogram-bins={bins.length}
      style={{ display: "block", overflow: "visible" }}
    >
      <line x1={0} x2={width} y1={height - 0.5} y2={height - 0.5} stroke="var(--border)" strokeWidth={1} />
      {bins.map((b, i) => {
        // A non-empty bin keeps at least one pixel, so a rare value is still visible.
        const h = b.count === 0 ? 0 : Math.max(1, (b.count / max) * (height - 1));
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: bins are positional
          <rect key={i} x={i * (barW + gap)} y={height - 1 - h} width={Math.max(0.5, barW)} height={h} fill="var(--accent)" opacity={0.85}>
            <title>{`${b.label}: ${formatNumber(b.count)} (${((b.count / total) * 100).toFixed(1)}%)`}</title>
          </rect>
        );
      })}
    </svg>
  );
}
