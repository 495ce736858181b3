import type { Run, RunList } from "@cairn/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { api, seg } from "../../api/client.js";
import { EmptyState, ErrorState, Loading } from "../../components/States.js";
import { DiffTable } from "./DiffTable.js";
import { type ChartOptions, MetricCharts, type StepRange, type XAxis } from "./MetricCharts.js";
import { isRunId, labelRuns, MAX_RUNS, MIN_RUNS, matchesFilter, parseRunIds, unionKeys } from "./model.js";
import { RunChips } from "./RunChips.js";
import { SummaryTable } from "./SummaryTable.js";
import "./compare.css";

/** Runs still running are refetched so their summaries and status stay current. */
const LIVE_REFRESH_MS = 15_000;

/** `?runs=` with literal commas (what the runs table links to), the other parameters kept. */
function withParam(current: URLSearchParams, name: string, value: string | null): string {
  const next = new URLSearchParams(current);
  if (value === null || value === "") next.delete(name);
  else next.set(name, value);
  return next.toString().replace(/%2C/gi, ",");
}

function Header({ project, subtitle }: { project: string; subtitle?: React.ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <nav className="breadcrumbs" aria-label="Breadcrumbs">
          <Link to="/">Projects</Link> / <Link to={`/projects/${seg(project)}/runs`}>{project}</Link> / Compare
        </nav>
        <h1>Compare runs</h1>
        {subtitle && <div className="subtitle">{subtitle}</div>}
      </div>
    </div>
  );
}

function HowToSelect({ project }: { project: string }) {
  return (
    <p>
      In the <Link to={`/projects/${seg(project)}/runs`}>runs table</Link>, tick the boxes of {MIN_RUNS} to {MAX_RUNS} runs and press <strong>Compare</strong>. Or put their ids
      in the address: <code>?runs=&lt;id&gt;,&lt;id&gt;</code>.
    </p>
  );
}

export default function ComparePage() {
  const { project = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const requested = parseRunIds(params.get("runs"));
  const malformed = requested.filter((id) => !isRunId(id));
  const tooMany = requested.length > MAX_RUNS;
  const ids = tooMany ? [] : requested.filter(isRunId);

  const setRunIds = (next: string[]) => setParams(withParam(params, "runs", next.join(",")));
  const setOption = (name: string, value: string | null) => setParams(withParam(params, name, value), { replace: true });

  // One search for all the ids, scoped to this project: an id that is unknown, deleted or in
  // another project is simply absent from the answer (no request per run, no 404 per typo).
  const runsQuery = useQuery({
    queryKey: ["compare", "runs", project, ids],
    queryFn: ({ signal }) =>
      api.get<RunList>(`/projects/${seg(project)}/runs`, { filter: `id in (${ids.map((id) => JSON.stringify(id)).join(", ")})`, limit: MAX_RUNS }, signal),
    enabled: ids.length > 0,
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.runs.some((r) => r.status === "running") ? LIVE_REFRESH_MS : false),
  });
  const byId = new Map((runsQuery.data?.runs ?? []).map((r) => [r.id, r]));
  // While a new selection loads, the previous answer stands in: only ids it covers count as unknown.
  const answered = runsQuery.isSuccess && !runsQuery.isPlaceholderData;
  const notFound = answered ? ids.filter((id) => !byId.has(id)) : [];
  const loaded = ids.map((id) => byId.get(id)).filter((r): r is Run => r !== undefined);
  // Charts and tables rebuild only when an answer arrives or the selection changes.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the answer's time and the ids stand for the run objects
  const compared = useMemo(() => labelRuns(loaded), [runsQuery.dataUpdatedAt, ids.join()]);

  const filterId = useId();
  const filter = params.get("key") ?? "";
  const smoothing = Math.min(0.99, Math.max(0, Number(params.get("smooth") ?? 0) || 0));
  const logY = params.get("log") === "1";
  const xAxis: XAxis = params.get("x") === "time" ? "time" : params.get("x") === "relative" ? "relative" : "step";
  const opts = useMemo<ChartOptions>(() => ({ smoothing, logY, xAxis }), [smoothing, logY, xAxis]);
  const [zoom, setZoom] = useState<StepRange>(null);

  const bad = [...malformed, ...notFound];
  const removeBad = () => setRunIds(requested.filter((id) => !bad.includes(id)));
  const badAlert = bad.length > 0 && (
    <div className="alert bad compare-alert" role="alert">
      <strong>
        {bad.length === 1 ? "One id does not name a run" : `${bad.length} ids do not name runs`} in {project}
      </strong>{" "}
      (a typo, a deleted run, or a run of another project): <span className="mono">{bad.join(", ")}</span>.{" "}
      <button type="button" onClick={removeBad}>
        Remove {bad.length === 1 ? "it" : "them"}
      </button>
    </div>
  );

  if (requested.length === 0) {
    return (
      <>
        <Header project={project} />
        <div className="card">
          <EmptyState title="No runs selected">
            <HowToSelect project={project} />
          </EmptyState>
        </div>
      </>
    );
  }
  if (tooMany) {
    return (
      <>
        <Header project={project} />
        <div className="alert warn" role="alert">
          <p>
            At most {MAX_RUNS} runs can be compared at once; the address names {requested.length}. Charts with more lines than that cannot be read.
          </p>
          <button type="button" onClick={() => setRunIds(requested.slice(0, MAX_RUNS))}>
            Compare the first {MAX_RUNS}
          </button>
        </div>
      </>
    );
  }
  if (runsQuery.error) {
    return (
      <>
        <Header project={project} />
        <ErrorState error={runsQuery.error} retry={() => void runsQuery.refetch()} />
      </>
    );
  }
  if (runsQuery.isPending && ids.length > 0) {
    return (
      <>
        <Header project={project} subtitle={`${ids.length} runs`} />
        <div className="card">
          <Loading rows={3} label="Loading runs" />
        </div>
        <div className="card">
          <Loading rows={8} label="Loading metrics" />
        </div>
      </>
    );
  }
  if (compared.length < MIN_RUNS) {
    return (
      <>
        <Header project={project} />
        {badAlert}
        {compared.length > 0 && <RunChips runs={compared} onRemove={(id) => setRunIds(ids.filter((x) => x !== id))} />}
        <div className="card">
          <EmptyState title={`Pick at least ${MIN_RUNS} runs to compare`}>
            <HowToSelect project={project} />
          </EmptyState>
        </div>
      </>
    );
  }

  const runs = compared.map((c) => c.run);
  const metricKeys = unionKeys(runs.map((r) => r.metrics));
  const shownKeys = metricKeys.filter((k) => matchesFilter(k, filter));
  const removeRun = (id: string) => setRunIds(requested.filter((x) => x !== id));

  return (
    <>
      <Header project={project} subtitle={`${compared.length} runs · ${metricKeys.length} metrics · ${unionKeys(runs.map((r) => r.params)).length} params`} />
      {badAlert}
      <section className="card" aria-labelledby="compare-runs-title">
        <div className="row">
          <h2 id="compare-runs-title">Runs</h2>
          <span className="spacer" />
          <Link to={`/projects/${seg(project)}/runs`} className="small">
            Add runs from the runs table
          </Link>
        </div>
        <RunChips runs={compared} onRemove={removeRun} />
      </section>

      <section className="card" aria-labelledby="compare-metrics-title">
        <h2 id="compare-metrics-title">Metrics</h2>
        {metricKeys.length === 0 ? (
          <EmptyState title="None of these runs has logged a metric">
            <p>
              Log metrics from the training script with <code>run.log(&#123; loss: 0.42 &#125;, &#123; step &#125;)</code>; the curves of every run appear here side by side.
            </p>
          </EmptyState>
        ) : (
          <>
            <div className="row compare-toolbar">
              <label htmlFor={filterId} className="inline">
                <span className="visually-hidden">Filter metrics</span>
                <input id={filterId} type="search" placeholder="Filter metrics…" value={filter} onChange={(e) => setOption("key", e.target.value || null)} />
              </label>
              <label className="inline">
                Smoothing
                <input
                  type="range"
                  min={0}
                  max={0.99}
                  step={0.01}
                  value={smoothing}
                  onChange={(e) => setOption("smooth", Number(e.target.value) > 0 ? e.target.value : null)}
                  aria-valuetext={smoothing > 0 ? `${smoothing}` : "off"}
                />
                <output className="mono compare-smooth-value">{smoothing > 0 ? smoothing.toFixed(2) : "off"}</output>
              </label>
              <label className="inline">
                <input type="checkbox" checked={logY} onChange={(e) => setOption("log", e.target.checked ? "1" : null)} />
                Log scale
              </label>
              <label className="inline">
                X axis
                <select
                  value={xAxis}
                  onChange={(e) => {
                    setZoom(null);
                    setOption("x", e.target.value === "step" ? null : e.target.value);
                  }}
                >
                  <option value="step">Step</option>
                  <option value="relative">Time since start</option>
                  <option value="time">Wall time</option>
                </select>
              </label>
              <span className="spacer" />
              {zoom ? (
                <span className="small">
                  Steps {zoom.from.toLocaleString("en-US")}–{zoom.to.toLocaleString("en-US")}{" "}
                  <button type="button" onClick={() => setZoom(null)}>
                    Reset zoom
                  </button>
                </span>
              ) : (
                <span className="muted small">Drag over a chart to zoom all of them; double-click to reset.</span>
              )}
            </div>
            {shownKeys.length === 0 ? (
              <p className="muted">No metric matches “{filter}”.</p>
            ) : (
              <MetricCharts keys={shownKeys} runs={compared} opts={opts} zoom={zoom} onZoom={setZoom} />
            )}
          </>
        )}
      </section>

      {shownKeys.length > 0 && (
        <section className="card" aria-labelledby="compare-summary-title">
          <div className="row">
            <h2 id="compare-summary-title">Summary metrics</h2>
            <span className="spacer" />
            {filter && (
              <span className="muted small">
                {shownKeys.length} of {metricKeys.length} metrics, filtered by “{filter}” above
              </span>
            )}
          </div>
          <SummaryTable keys={shownKeys} runs={compared} />
        </section>
      )}

      <section className="card" aria-labelledby="compare-params-title">
        <h2 id="compare-params-title">Params</h2>
        <DiffTable
          runs={compared}
          records={runs.map((r) => r.params)}
          noun="params"
          empty={
            <p className="muted">
              None of these runs has params. Pass them to <code>init(&#123; params &#125;)</code> or <code>run.logParams()</code>.
            </p>
          }
        />
      </section>

      <section className="card" aria-labelledby="compare-tags-title">
        <h2 id="compare-tags-title">Tags</h2>
        <DiffTable
          runs={compared}
          records={runs.map((r) => r.tags)}
          noun="tags"
          empty={
            <p className="muted">
              None of these runs has tags. Set them with <code>init(&#123; tags &#125;)</code> or <code>run.setTags()</code>.
            </p>
          }
        />
      </section>
    </>
  );
}
