import type { ModelVersionList, MonitoringReport } from "@cairn/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { api, seg } from "../../api/client.js";
import { Chart, type ChartSeries } from "../../components/Chart.js";
import { formatNumber } from "../../components/format.js";
import { EmptyState, ErrorState, Loading } from "../../components/States.js";
import { AlertsCard, type DriftTarget } from "./AlertsCard.js";
import { DistributionPanel } from "./DistributionPanel.js";
import { DriftHeatmap, formatStatistic, type SelectedCell } from "./DriftHeatmap.js";
import { METHOD_NAMES, percent, RANGES, type RangeKey, readSettings, reportQuery, type Totals, toSeconds, totals, VIOLATION_KINDS, type ViewSettings, windowLabel } from "./monitoring-data.js";
import { OutputsCard } from "./OutputsCard.js";
import "./monitoring.css";

/**
 * A model in production (issue 7, page 7): volume and latency, drift per feature and window
 * against the training profile (click a cell for both distributions), accuracy with label
 * coverage, schema violations, and the monitors' alerts. Range, window, version and drift
 * statistic live in the address, so a view can be shared.
 */
export default function MonitoringPage() {
  const { project = "", name = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const settings = readSettings(params);
  const selectedFeature = params.get("feature");
  const selectedStart = params.get("at");
  const selected: SelectedCell | undefined = selectedFeature && selectedStart ? { feature: selectedFeature, start: selectedStart } : undefined;

  const update = (changes: Record<string, string | undefined>) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const [k, v] of Object.entries(changes)) {
          if (v === undefined) next.delete(k);
          else next.set(k, v);
        }
        return next;
      },
      { replace: true },
    );

  const versions = useQuery({
    queryKey: ["model-versions", project, name],
    queryFn: ({ signal }) => api.get<ModelVersionList>(`/projects/${seg(project)}/models/${seg(name)}/versions`, { limit: 200 }, signal),
  });
  const report = useQuery({
    queryKey: ["monitoring-report", project, name, settings],
    // The range ends at the current window, recomputed on each fetch so a refresh moves along.
    queryFn: ({ signal }) => api.get<MonitoringReport>(`/projects/${seg(project)}/models/${seg(name)}/monitoring`, reportQuery(settings), signal),
    placeholderData: keepPreviousData,
    refetchInterval: 60_000,
  });

  const base = `/projects/${seg(project)}`;
  return (
    <div className="monitoring-page">
      <div className="page-header">
        <div>
          <nav className="breadcrumbs" aria-label="Breadcrumbs">
            <Link to="/">Projects</Link> / <Link to={`${base}/runs`}>{project}</Link> / <Link to={`${base}/models`}>Models</Link> / <Link to={`${base}/models/${seg(name)}`}>{name}</Link> / Monitoring
          </nav>
          <h1>{name}: production monitoring</h1>
          <p className="subtitle">
            <ReferenceLine report={report.data} />
          </p>
        </div>
        <Controls settings={settings} selected={selected} versions={versions.data} onChange={update} />
      </div>
      {report.error ? (
        <ErrorState error={report.error} retry={() => void report.refetch()} />
      ) : !report.data ? (
        <PageSkeleton />
      ) : (
        <ReportView
          project={project}
          model={name}
          settings={settings}
          report={report.data}
          selected={selected}
          onSelect={(c) => update(c ? { feature: c.feature, at: c.start } : { feature: undefined, at: undefined })}
          onRange={(range) => update({ range, window: undefined })}
          onShowDrift={(d) => update({ feature: d.feature, at: d.start, window: d.window })}
          stale={report.isPlaceholderData}
        />
      )}
    </div>
  );
}

function ReferenceLine({ report }: { report: MonitoringReport | undefined }) {
  if (!report) return <span className="muted">Loading the report…</span>;
  const scope = report.version === null ? "all versions" : `version ${report.version}`;
  if (!report.reference)
    return (
      <>
        Traffic of {scope}. No training profile: drift cannot be measured (register the version from a run that logged its dataset with <code>role: "train"</code>).
      </>
    );
  return (
    <>
      Traffic of {scope}; drift against the training profile of{" "}
      <Link to={`/lineage/dataset/${seg(report.reference.datasetVersionId)}`}>
        {report.reference.name} v{report.reference.version}
      </Link>
      .
    </>
  );
}

/**
 * The selected heatmap cell when the window size changes: an hour becomes the UTC day holding
 * it; a day holds 24 hours, so going to hours drops the selection.
 */
function selectionForWindow(selected: SelectedCell | undefined, window: string): Record<string, string | undefined> {
  if (!selected) return {};
  if (window === "1d") return { at: new Date(Math.floor(Date.parse(selected.start) / 86_400_000) * 86_400_000).toISOString() };
  return { feature: undefined, at: undefined };
}

function Controls({
  settings,
  selected,
  versions,
  onChange,
}: {
  settings: ViewSettings;
  selected: SelectedCell | undefined;
  versions: ModelVersionList | undefined;
  onChange: (c: Record<string, string | undefined>) => void;
}) {
  return (
    <div className="row monitoring-controls">
      <label className="field">
        Time range
        <select value={settings.range} onChange={(e) => onChange({ range: e.target.value })}>
          {Object.entries(RANGES).map(([k, r]) => (
            <option key={k} value={k}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        Window
        <select value={settings.window} onChange={(e) => onChange({ window: e.target.value, ...selectionForWindow(selected, e.target.value) })}>
          <option value="1h">1 hour</option>
          <option value="1d">1 day</option>
        </select>
      </label>
      <label className="field">
        Version
        <select value={settings.version ?? ""} onChange={(e) => onChange({ version: e.target.value || undefined })}>
          <option value="">All versions</option>
          {versions?.versions.map((v) => (
            <option key={v.id} value={v.version}>
              v{v.version}
              {v.aliases.length > 0 ? ` (${v.aliases.join(", ")})` : ""}
            </option>
          ))}
          {/* The version in the address, before the list arrives (or when it is not in the list): the select shows it rather than "All versions". */}
          {settings.version !== undefined && !versions?.versions.some((v) => v.version === settings.version) && <option value={settings.version}>v{settings.version}</option>}
        </select>
      </label>
      <label className="field">
        Drift statistic
        <select value={settings.method} onChange={(e) => onChange({ method: e.target.value })}>
          <option value="jensenshannon">Jensen–Shannon</option>
          <option value="psi">PSI</option>
        </select>
      </label>
    </div>
  );
}

function PageSkeleton() {
  return (
    <div className="stack">
      <div className="stat-row">
        {["predictions", "labelled", "accuracy", "latency", "drift", "violations"].map((k) => (
          <div key={k} className="card stat">
            <Loading rows={2} />
          </div>
        ))}
      </div>
      <div className="grid grid-2">
        <div className="card" style={{ height: 300 }}>
          <Loading rows={6} />
        </div>
        <div className="card" style={{ height: 300 }}>
          <Loading rows={6} />
        </div>
      </div>
    </div>
  );
}

function ReportView({
  project,
  model,
  settings,
  report,
  selected,
  onSelect,
  onRange,
  onShowDrift,
  stale,
}: {
  project: string;
  model: string;
  settings: ViewSettings;
  report: MonitoringReport;
  selected: SelectedCell | undefined;
  onSelect: (c: SelectedCell | undefined) => void;
  onRange: (r: RangeKey) => void;
  onShowDrift: (drift: DriftTarget) => void;
  stale: boolean;
}) {
  const sums = useMemo(() => totals(report), [report]);
  const series = useMemo(() => chartSeries(report), [report]);
  if (sums.predictions === 0)
    return (
      <div className="stack">
        <NoPredictions model={model} settings={settings} onRange={onRange} />
        <AlertsCard project={project} model={model} onShowDrift={onShowDrift} />
      </div>
    );
  return (
    <div className={`stack${stale ? " stale" : ""}`} aria-busy={stale}>
      <Summary sums={sums} report={report} />
      <AlertsCard project={project} model={model} onShowDrift={onShowDrift} />
      <div className="grid grid-2">
        <section className="card chart-card" aria-labelledby="volume-title">
          <h2 id="volume-title">Predictions per window</h2>
          <Chart title="Predictions per window" series={series.volume} xTime height={220} />
        </section>
        <section className="card chart-card" aria-labelledby="latency-title">
          <h2 id="latency-title">Latency (ms)</h2>
          {series.latency.some((s) => Array.from(s.y).some((v) => v !== null)) ? (
            <Chart title="Latency percentiles per window, milliseconds" series={series.latency} xTime height={220} />
          ) : (
            <EmptyState title="No latencies sent">
              <p className="small">
                Pass <code>latencyMs</code> to <code>logPrediction()</code>, or use <code>monitor.wrap(predict)</code>, which times each call.
              </p>
            </EmptyState>
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="drift-title">
        <h2 id="drift-title">Drift per feature</h2>
        {report.reference ? (
          <>
            <p className="muted small">Each cell is one feature in one window, against the training profile. Select a cell to compare the two distributions.</p>
            <DriftHeatmap report={report} selected={selected} onSelect={onSelect} />
          </>
        ) : (
          <EmptyState title="No training profile to compare with">
            <p className="small">
              Drift is measured against the dataset the version was trained on. Log it in the training run with <code>{`run.logDataset({ name, data, role: "train" })`}</code> before{" "}
              <code>run.registerModel()</code>.
            </p>
          </EmptyState>
        )}
      </section>
      {selected && report.reference && <DistributionPanel project={project} model={model} settings={settings} report={report} cell={selected} onClose={() => onSelect(undefined)} />}
      <div className="grid grid-2">
        <section className="card chart-card" aria-labelledby="accuracy-title">
          <h2 id="accuracy-title">{sums.task === "regression" ? "Error and label coverage" : "Accuracy and label coverage"}</h2>
          <LabelFacts sums={sums} />
          <Chart title={sums.task === "regression" ? "Labelled share per window" : "Labelled share and performance per window"} series={series.performance} xTime height={200} />
          {sums.task === "regression" && <Chart title="Mean absolute error and RMSE per window" series={series.regression} xTime height={200} />}
        </section>
        <OutputsCard report={report} />
      </div>
      <ViolationsCard report={report} sums={sums} />
      <WindowTable report={report} />
    </div>
  );
}

/** The report's windows as chart series; x = window start in Unix seconds. */
function chartSeries(report: MonitoringReport) {
  const x = report.windows.map((w) => toSeconds(w.start));
  const pick = (f: (w: MonitoringReport["windows"][number]) => number | null | undefined) => report.windows.map((w) => f(w) ?? null);
  const volume: ChartSeries[] = [{ label: "predictions", x, y: pick((w) => w.count) }];
  const latency: ChartSeries[] = (["p50", "p95", "p99"] as const).map((p) => ({ label: p, x, y: pick((w) => w.latencyMs[p]) }));
  const performance: ChartSeries[] = [{ label: "labelled share", x, y: pick((w) => w.labels.coverage) }];
  for (const metric of ["accuracy", "precision", "recall", "f1"] as const) {
    const y = pick((w) => (w.performance?.task === "classification" ? w.performance[metric] : null));
    if (y.some((v) => v !== null)) performance.push({ label: metric, x, y });
  }
  const regression: ChartSeries[] = (["mae", "rmse"] as const).map((metric) => ({ label: metric, x, y: pick((w) => (w.performance?.task === "regression" ? w.performance[metric] : null)) }));
  return { volume, latency, performance, regression };
}

function Summary({ sums, report }: { sums: Totals; report: MonitoringReport }) {
  const latest = sums.latestWindowWithData;
  const latestP95 = latest?.latencyMs.p95 ?? null;
  // The newest window where at least one feature had enough values for a verdict.
  const latestJudged = report.windows.findLast((w) => w.drift.driftedShare !== null);
  const latestDrifted = latestJudged?.drift.features.filter((f) => f.drifted).map((f) => f.feature) ?? [];
  return (
    <section className="stat-row" aria-label="Summary of the range">
      <div className="card stat">
        <span className="stat-label">Predictions</span>
        <span className="stat-value" data-stat="predictions">
          {formatNumber(sums.predictions)}
        </span>
      </div>
      <div className="card stat">
        <span className="stat-label">Labelled</span>
        <span className="stat-value" data-stat="coverage">
          {percent(sums.coverage)}
        </span>
        <span className="muted small">
          {formatNumber(sums.labelled)} of {formatNumber(sums.predictions)}
        </span>
      </div>
      <div className="card stat">
        <span className="stat-label">{sums.task === "regression" ? "MAE" : "Accuracy"}</span>
        <span className="stat-value" data-stat="performance">
          {sums.task === "regression" ? formatNumber(sums.mae) : percent(sums.accuracy)}
        </span>
        <span className="muted small">{sums.labelled > 0 ? `over ${formatNumber(sums.labelled)} labelled` : "no labels yet"}</span>
      </div>
      <div className="card stat">
        <span className="stat-label">Latency p95, latest window</span>
        <span className="stat-value">{latestP95 === null ? "—" : `${formatNumber(round(latestP95))} ms`}</span>
        {latest && <span className="muted small">{windowLabel(latest.start, report.window)}</span>}
      </div>
      <div className="card stat">
        <span className="stat-label">Drifted features, latest window</span>
        <span className="stat-value" data-stat="drifted-features">
          {latestJudged ? `${latestDrifted.length} of ${latestJudged.drift.features.filter((f) => f.status !== "not_enough_data").length}` : "—"}
        </span>
        <span className="muted small mono stat-detail" title={latestDrifted.join(", ")}>
          {latestJudged ? latestDrifted.join(", ") || "none" : "no window with enough data"}
        </span>
      </div>
      <div className="card stat">
        <span className="stat-label">Schema violations</span>
        <span className="stat-value" data-stat="violating">
          {percent(sums.predictions ? sums.violating / sums.predictions : null)}
        </span>
        <span className="muted small">of predictions have at least one</span>
      </div>
    </section>
  );
}

function LabelFacts({ sums }: { sums: Totals }) {
  return (
    <dl className="facts small label-facts">
      <dt>Labelled share</dt>
      <dd data-fact="coverage">
        {percent(sums.coverage)} ({formatNumber(sums.labelled)} of {formatNumber(sums.predictions)} predictions)
      </dd>
      {sums.task === "regression" ? (
        <>
          <dt>Mean absolute error</dt>
          <dd data-fact="mae">{formatNumber(sums.mae)}</dd>
        </>
      ) : (
        <>
          <dt>Accuracy</dt>
          <dd data-fact="accuracy">{sums.accuracy === null ? "— (no labels yet: send them with client.labels.log)" : `${percent(sums.accuracy)} over the labelled predictions`}</dd>
        </>
      )}
    </dl>
  );
}

function ViolationsCard({ report, sums }: { report: MonitoringReport; sums: Totals }) {
  const windows = report.windows.filter((w) => w.schemaViolations.total > 0);
  return (
    <section className="card" aria-labelledby="violations-title">
      <h2 id="violations-title">Schema violations</h2>
      {windows.length === 0 ? (
        <p>
          <span className="badge ok">none</span> <span className="muted">Every prediction in the range matched the signature and the training profile.</span>
        </p>
      ) : (
        <>
          <dl className="facts small">
            {VIOLATION_KINDS.map(({ kind, label }) => (
              <div key={kind} className="contents">
                <dt>{label}</dt>
                <dd data-kind={kind}>{formatNumber(sums.byKind[kind] ?? 0)}</dd>
              </div>
            ))}
          </dl>
          <div className="table-scroll">
            <table className="data violations-table">
              <caption className="visually-hidden">Schema violations per window</caption>
              <thead>
                <tr>
                  <th scope="col">Window</th>
                  <th scope="col" className="num">
                    Rate
                  </th>
                  {VIOLATION_KINDS.map(({ kind, label, short }) => (
                    <th scope="col" className="num" key={kind} title={label}>
                      <abbr title={label}>{short}</abbr>
                    </th>
                  ))}
                  <th scope="col">Features</th>
                </tr>
              </thead>
              <tbody>
                {windows
                  .slice()
                  .reverse()
                  .map((w) => (
                    <tr key={w.start}>
                      <td>{windowLabel(w.start, report.window)}</td>
                      <td className="num">{percent(w.schemaViolations.rate)}</td>
                      {VIOLATION_KINDS.map(({ kind }) => (
                        <td className="num" key={kind}>
                          {formatNumber(w.schemaViolations.byKind[kind] ?? 0)}
                        </td>
                      ))}
                      <td className="mono" title={Object.keys(w.schemaViolations.byFeature).join(", ")}>
                        {Object.entries(w.schemaViolations.byFeature)
                          .sort((a, b) => b[1] - a[1])
                          .map(([f, n]) => `${f} ${formatNumber(n)}`)
                          .join(", ")}
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

/** Every window's figures as text: what the charts show, readable without them. */
function WindowTable({ report }: { report: MonitoringReport }) {
  const rows = report.windows.filter((w) => w.count > 0).reverse();
  return (
    <details className="card window-table">
      <summary>
        <h2>Windows as a table</h2> <span className="muted small">({formatNumber(rows.length)} with predictions)</span>
      </summary>
      <div className="table-scroll">
        <table className="data">
          <caption className="visually-hidden">Figures per window</caption>
          <thead>
            <tr>
              <th scope="col">Window</th>
              <th scope="col" className="num">
                Predictions
              </th>
              <th scope="col" className="num">
                p50 ms
              </th>
              <th scope="col" className="num">
                p95 ms
              </th>
              <th scope="col" className="num">
                p99 ms
              </th>
              <th scope="col" className="num">
                Labelled
              </th>
              <th scope="col" className="num">
                Accuracy
              </th>
              <th scope="col" className="num">
                Violations
              </th>
              <th scope="col">Drifted features</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((w) => (
              <tr key={w.start}>
                <td>{windowLabel(w.start, report.window)}</td>
                <td className="num">{formatNumber(w.count)}</td>
                <td className="num">{formatNumber(round(w.latencyMs.p50))}</td>
                <td className="num">{formatNumber(round(w.latencyMs.p95))}</td>
                <td className="num">{formatNumber(round(w.latencyMs.p99))}</td>
                <td className="num">{percent(w.labels.coverage)}</td>
                <td className="num">{w.performance?.task === "classification" ? percent(w.performance.accuracy) : w.performance ? `MAE ${formatNumber(w.performance.mae)}` : "—"}</td>
                <td className="num">{formatNumber(w.schemaViolations.total)}</td>
                <td className="mono">
                  {w.drift.features
                    .filter((f) => f.drifted)
                    .map((f) => `${f.feature} (${METHOD_NAMES[f.method]} ${f.statistic === null ? "—" : formatStatistic(f.statistic)})`)
                    .join(", ") || "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

const round = (v: number | null, digits = 1) => (v === null ? null : Number(v.toFixed(digits)));

function NoPredictions({ model, settings, onRange }: { model: string; settings: ViewSettings; onRange: (r: RangeKey) => void }) {
  const longer = (Object.keys(RANGES) as RangeKey[]).filter((r) => RANGES[r].ms > RANGES[settings.range].ms);
  const snippet = `import { Cairn } from "@cairn/sdk";

const cairn = new Cairn({ project: "…" });
const monitor = cairn.monitor({ model: ${JSON.stringify(model)}, version: ${settings.version ?? 1} });

// In the request handler: the id comes back at once, keep it for the label.
const id = monitor.logPrediction({ features, output: prediction, score, latencyMs });

// When the ground truth is known:
await cairn.labels.log([{ predictionId: id, label: truth }]);`;
  return (
    <div className="card">
      <EmptyState title={`No predictions in the ${RANGES[settings.range].label.toLowerCase()}`}>
        <p>Log each prediction from the serving code; volume, latency, drift and accuracy appear here per window.</p>
        <pre className="snippet">
          <code>{snippet}</code>
        </pre>
        {longer.length > 0 && (
          <p className="row" style={{ justifyContent: "center" }}>
            {longer.map((r) => (
              <button type="button" key={r} onClick={() => onRange(r)}>
                Show the {RANGES[r].label.toLowerCase()}
              </button>
            ))}
          </p>
        )}
      </EmptyState>
    </div>
  );
}
