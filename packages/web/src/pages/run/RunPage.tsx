import type { Project, Run } from "@cairn/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { api, seg } from "../../api/client.js";
import { formatDateTime } from "../../components/format.js";
import { ErrorState, Loading } from "../../components/States.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { ArtifactsTab } from "./ArtifactsTab.js";
import { DatasetsTab } from "./DatasetsTab.js";
import { prefetchMetricCharts } from "./MetricChart.js";
import { MetricsTab } from "./MetricsTab.js";
import { NotesTab } from "./NotesTab.js";
import { OverviewTab } from "./OverviewTab.js";
import { LiveDuration } from "./LiveDuration.js";
import "./run.css";

const TABS = [
  { id: "overview", label: "Overview" },
  { id: "metrics", label: "Metrics" },
  { id: "system", label: "System" },
  { id: "artifacts", label: "Artifacts" },
  { id: "datasets", label: "Datasets" },
  { id: "notes", label: "Notes" },
] as const;
type TabId = (typeof TABS)[number]["id"];

const isTab = (t: string | null): t is TabId => TABS.some((x) => x.id === t);

/** While a run is running its status, heartbeat and metrics move: poll, and stop once it ends. */
export const LIVE_REFRESH_MS = 5_000;

export function useRun(runId: string) {
  return useQuery({
    queryKey: ["run", runId],
    queryFn: () => api.get<Run>(`/runs/${seg(runId)}`, { includeDeleted: true }),
    refetchInterval: (q) => (q.state.data?.status === "running" ? LIVE_REFRESH_MS : false),
  });
}

/** `/runs/:runId`: everything one run recorded, one tab per kind of record; the tab is in the URL. */
export default function RunPage() {
  const { runId = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const tabParam = search.get("tab");
  const tab: TabId = isTab(tabParam) ? tabParam : "overview";
  const run = useRun(runId);
  const queryClient = useQueryClient();
  const chartsTab = tab === "metrics" || tab === "system";
  useEffect(() => {
    // Errors surface in the tab itself (its charts query again); the prefetch only saves a round trip.
    if (chartsTab) prefetchMetricCharts(queryClient, runId, tab === "system").catch(() => undefined);
  }, [chartsTab, queryClient, runId, tab]);
  const project = useQuery({
    queryKey: ["project", run.data?.projectId],
    queryFn: () => api.get<Project>(`/projects/${seg(run.data!.projectId)}`),
    enabled: run.data !== undefined,
    staleTime: 60_000,
  });

  const selectTab = (id: TabId) => {
    // Each tab keeps its own URL state (folder, open file): switching tabs starts clean.
    setSearch(id === "overview" ? {} : { tab: id });
  };

  if (run.error) return <ErrorState error={run.error} retry={() => void run.refetch()} />;
  if (!run.data) {
    return (
      <div className="run-page">
        <div className="page-header">
          <div style={{ width: "40%" }}>
            <Loading rows={2} label="Loading run" />
          </div>
        </div>
        <Loading rows={8} />
      </div>
    );
  }
  const r = run.data;
  const projectName = project.data?.name;
  const projectPath = projectName ? `/projects/${seg(projectName)}` : undefined;

  return (
    <div className="run-page">
      <div className="page-header">
        <div>
          <nav className="breadcrumbs" aria-label="Breadcrumbs">
            <Link to="/">Projects</Link> / {projectPath ? <Link to={`${projectPath}/runs`}>{projectName}</Link> : <span>…</span>} / <span>Runs</span>
          </nav>
          <div className="row">
            <h1>{r.name}</h1>
            <StatusBadge status={r.status} />
          </div>
          <div className="subtitle small">
            <span className="mono">{r.id}</span> · started {formatDateTime(r.startedAt)} · <LiveDuration run={r} />
          </div>
        </div>
        <div className="row">
          {projectPath && (
            <Link className="button" to={`${projectPath}/runs`}>
              All runs
            </Link>
          )}
          <Link className="button" to={`/lineage/run/${seg(r.id)}`}>
            Lineage
          </Link>
        </div>
      </div>
      {r.deletedAt && (
        <p className="alert warn" role="status">
          This run is in the trash since {formatDateTime(r.deletedAt)}
          {r.purgeAt ? `; it will be purged on ${formatDateTime(r.purgeAt)}` : ""}. Restore it with <code>POST /api/v1/runs/{r.id}/restore</code>.
        </p>
      )}
      <div className="tabs" role="tablist" aria-label="Run sections">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`run-tab-${t.id}`}
            aria-controls="run-tabpanel"
            aria-selected={tab === t.id}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => selectTab(t.id)}
            onKeyDown={(e) => {
              const i = TABS.findIndex((x) => x.id === t.id);
              const next = e.key === "ArrowRight" ? TABS[(i + 1) % TABS.length] : e.key === "ArrowLeft" ? TABS[(i + TABS.length - 1) % TABS.length] : undefined;
              if (next) {
                e.preventDefault();
                selectTab(next.id);
                document.getElementById(`run-tab-${next.id}`)?.focus();
              }
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div id="run-tabpanel" role="tabpanel" aria-labelledby={`run-tab-${tab}`}>
        {tab === "overview" && <OverviewTab run={r} projectName={projectName} />}
        {tab === "metrics" && <MetricsTab run={r} system={false} />}
        {tab === "system" && <MetricsTab run={r} system={true} />}
        {tab === "artifacts" && <ArtifactsTab run={r} />}
        {tab === "datasets" && <DatasetsTab run={r} />}
        {tab === "notes" && <NotesTab run={r} />}
      </div>
    </div>
  );
}
