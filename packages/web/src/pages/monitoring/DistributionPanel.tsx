import type { ColumnProfile, FeatureDrift, MonitoringReport } from "@cairn/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { api, seg } from "../../api/client.js";
import { formatNumber } from "../../components/format.js";
import { QueryView } from "../../components/States.js";
import { formatStatistic, type SelectedCell } from "./DriftHeatmap.js";
import { METHOD_NAMES, percent, type ViewSettings, windowLabel } from "./monitoring-data.js";

interface FeatureDistribution {
  feature: string;
  reference: ColumnProfile | null;
  current: ColumnProfile | null;
}

/**
 * The heatmap's detail: the feature's training profile beside its profile in the chosen
 * window, drawn on one x scale and one density scale so a shift reads at a glance.
 */
export function DistributionPanel({
  project,
  model,
  settings,
  report,
  cell,
  onClose,
}: {
  project: string;
  model: string;
  settings: ViewSettings;
  report: MonitoringReport;
  cell: SelectedCell;
  onClose: () => void;
}) {
  const query = useQuery({
    queryKey: ["monitoring-distribution", project, model, cell.feature, cell.start, settings.window, settings.version],
    queryFn: ({ signal }) =>
      api.get<FeatureDistribution>(`/projects/${seg(project)}/models/${seg(model)}/monitoring/distribution`, { feature: cell.feature, start: cell.start, window: settings.window, version: settings.version }, signal),
  });
  const host = useRef<HTMLElement>(null);
  // A newly selected cell's detail opens below the heatmap: bring it into view.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the selected cell changes
  useEffect(() => {
    host.current?.scrollIntoView({ block: "nearest" });
  }, [cell.feature, cell.start]);
  const drift = report.windows.find((w) => w.start === cell.start)?.drift.features.find((f) => f.feature === cell.feature);
  const reference = report.reference;
  return (
    <section ref={host} className="card distribution" aria-labelledby="distribution-title">
      <div className="row">
        <h2 id="distribution-title">
          <span className="mono">{cell.feature}</span> in {windowLabel(cell.start, settings.window)}
        </h2>
        <span className="spacer" />
        <DriftVerdict drift={drift} />
        <button type="button" onClick={onClose} aria-label="Close the distributions">
          Close
        </button>
      </div>
      <QueryView query={query} rows={6}>
        {(d) => (
          <div className="grid grid-2 distribution-sides">
            <DistributionSide title={reference ? `Training profile: ${reference.name} v${reference.version}` : "Training profile"} profile={d.reference} other={d.current} tone="reference" empty="The training profile has no such column." />
            <DistributionSide title={`This window (${windowLabel(cell.start, settings.window)})`} profile={d.current} other={d.reference} tone="current" empty="No values of this feature in the window." />
          </div>
        )}
      </QueryView>
    </section>
  );
}

function DriftVerdict({ drift }: { drift: FeatureDrift | undefined }) {
  if (!drift || drift.status === "not_enough_data" || drift.statistic === null) return <span className="badge">not enough data</span>;
  return (
    <span className={`badge ${drift.drifted ? "bad" : "ok"}`}>
      {drift.drifted ? "drifted" : "no drift"}: {METHOD_NAMES[drift.method]} {formatStatistic(drift.statistic)} (threshold {formatNumber(drift.threshold)})
    </span>
  );
}

function DistributionSide({ title, profile, other, tone, empty }: { title: string; profile: ColumnProfile | null; other: ColumnProfile | null; tone: "reference" | "current"; empty: string }) {
  return (
    <div className={`distribution-side ${tone}`} data-side={tone}>
      <h3>{title}</h3>
      {!profile ? (
        <p className="muted">{empty}</p>
      ) : profile.numerical ? (
        <NumericalSide profile={profile} other={other} tone={tone} />
      ) : (
        <CategoricalSide profile={profile} other={other} tone={tone} />
      )}
    </div>
  );
}

interface Bin {
  lo: number;
  hi: number;
  density: number;
  count: number;
}

/** Histogram bins as densities (share per unit of x), so bins of different widths compare. */
function densities(p: ColumnProfile): Bin[] {
  const h = p.numerical?.histogram;
  if (!h) return [];
  const total = h.counts.reduce((a, b) => a + b, 0) || 1;
  return h.counts.map((count, i) => {
    const lo = h.edges[i]!;
    const hi = h.edges[i + 1] ?? lo;
    // A single-valued column has one bin of zero width: give it a sliver so it is drawn.
    const width = hi - lo > 0 ? hi - lo : 1;
    return { lo, hi: hi > lo ? hi : lo + width, density: count / total / width, count };
  });
}

const W = 420;
const H = 140;
const PAD = { l: 0, r: 0, t: 4, b: 1 };

function NumericalSide({ profile, other, tone }: { profile: ColumnProfile; other: ColumnProfile | null; tone: "reference" | "current" }) {
  const n = profile.numerical!;
  const bins = densities(profile);
  const otherBins = other?.numerical ? densities(other) : [];
  // One x and one y scale for both sides.
  const all = [...bins, ...otherBins];
  const lo = Math.min(...all.map((b) => b.lo));
  const hi = Math.max(...all.map((b) => b.hi));
  const top = Math.max(...all.map((b) => b.density)) || 1;
  const x = (v: number) => PAD.l + ((v - lo) / (hi - lo || 1)) * (W - PAD.l - PAD.r);
  const y = (d: number) => H - PAD.b - (d / top) * (H - PAD.t - PAD.b);
  const summary = `Histogram of ${profile.name}: ${formatNumber(profile.count)} values from ${formatNumber(n.min)} to ${formatNumber(n.max)}, median ${formatNumber(n.quantiles.p50)}`;
  return (
    <>
      {/* Stretched to the panel's width at a fixed height; the axis labels are text below it, so they never stretch. */}
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" className="histogram" role="img" aria-label={summary}>
        <line x1={PAD.l} x2={W - PAD.r} y1={H - PAD.b} y2={H - PAD.b} className="histogram-axis" vectorEffect="non-scaling-stroke" />
        {bins.map((b) => (
          <rect key={`${b.lo}-${b.hi}`} x={x(b.lo) + 0.5} width={Math.max(1, x(b.hi) - x(b.lo) - 1)} y={y(b.density)} height={Math.max(0, H - PAD.b - y(b.density))} className={`histogram-bar ${tone}`}>
            <title>{`${formatNumber(b.lo)} – ${formatNumber(b.hi)}: ${formatNumber(b.count)}`}</title>
          </rect>
        ))}
      </svg>
      <div className="histogram-range small muted" aria-hidden="true">
        <span>{formatNumber(lo)}</span>
        <span>{formatNumber(hi)}</span>
      </div>
      <dl className="facts small">
        <dt>Values</dt>
        <dd>
          {formatNumber(profile.count)}
          {profile.missing > 0 ? ` (+ ${formatNumber(profile.missing)} missing)` : ""}
        </dd>
        <dt>Mean ± std</dt>
        <dd>
          {formatNumber(n.mean)} ± {formatNumber(n.std)}
        </dd>
        <dt>Min · median · max</dt>
        <dd>
          {formatNumber(n.min)} · {formatNumber(n.quantiles.p50)} · {formatNumber(n.max)}
        </dd>
        <dt>p5 · p95</dt>
        <dd>
          {formatNumber(n.quantiles.p5)} · {formatNumber(n.quantiles.p95)}
        </dd>
      </dl>
    </>
  );
}

interface Share {
  value: string;
  share: number;
  count: number;
}

function categoryShares(p: ColumnProfile): Share[] {
  if (p.categorical) {
    const total = p.count || 1;
    return p.categorical.top.map((c) => ({ value: c.value, share: c.count / total, count: c.count }));
  }
  if (p.boolean) {
    const total = p.boolean.trueCount + p.boolean.falseCount || 1;
    return [
      { value: "true", share: p.boolean.trueCount / total, count: p.boolean.trueCount },
      { value: "false", share: p.boolean.falseCount / total, count: p.boolean.falseCount },
    ];
  }
  return [];
}

const MAX_CATEGORIES = 12;

function CategoricalSide({ profile, other, tone }: { profile: ColumnProfile; other: ColumnProfile | null; tone: "reference" | "current" }) {
  const mine = categoryShares(profile);
  const theirs = other ? categoryShares(other) : [];
  // Both sides list the same categories in the same order (the reference's most frequent first), so rows line up.
  const order = [...new Set([...(tone === "reference" ? mine : theirs), ...(tone === "reference" ? theirs : mine)].map((s) => s.value))].slice(0, MAX_CATEGORIES);
  const byValue = new Map(mine.map((s) => [s.value, s]));
  const top = Math.max(...mine.map((s) => s.share), ...theirs.map((s) => s.share), 0.0001);
  const shown = order.reduce((a, v) => a + (byValue.get(v)?.count ?? 0), 0);
  const rest = profile.count - shown;
  if (mine.length === 0) return <p className="muted">A {profile.type} column without category counts.</p>;
  return (
    <>
      <table className="data categories">
        <caption className="visually-hidden">Category shares of {profile.name}</caption>
        <thead>
          <tr>
            <th scope="col">Category</th>
            <th scope="col" className="num">
              Share
            </th>
            <th scope="col" className="bar-col">
              <span className="visually-hidden">Bar</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {order.map((value) => {
            const s = byValue.get(value);
            return (
              <tr key={value}>
                <td className="mono" title={value}>
                  {value}
                </td>
                <td className="num">{s ? percent(s.share) : "0%"}</td>
                <td className="bar-col">
                  <span aria-hidden="true" className={`share-bar ${tone}`} style={{ width: `${((s?.share ?? 0) / top) * 100}%` }} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted small">
        {formatNumber(profile.count)} values{profile.missing > 0 ? `, ${formatNumber(profile.missing)} missing` : ""}
        {rest > 0 ? `; ${formatNumber(rest)} in other categories` : ""}.
      </p>
    </>
  );
}
