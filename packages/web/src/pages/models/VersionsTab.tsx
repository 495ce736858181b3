import type { CheckResult, CheckStatus, ColumnSchema, ModelVersion } from "@cairn/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, useLocation } from "react-router";
import { ApiError, api, apiUrl, seg } from "../../api/client.js";
import { canWrite, useWhoAmI } from "../../app/Shell.js";
import { EmptyState, ErrorState, Loading, QueryView } from "../../components/States.js";
import { Time } from "../../components/Time.js";
import { formatBytes, formatNumber } from "../../components/format.js";
import { Figures } from "./Figures.js";
import { modelKey, modelPath, useChecks, useVersion, useVersions } from "./modelsApi.js";

/** Metric columns shown in the versions table; the detail panel lists every metric. */
const METRIC_COLUMNS = 4;

const statusTone: Record<CheckStatus, string> = { passed: "ok", failed: "bad", warning: "warn", not_enough_data: "warn", error: "bad" };
const statusText: Record<CheckStatus, string> = { passed: "passed", failed: "failed", warning: "warning", not_enough_data: "not enough data", error: "error" };

/** Metric names by how many versions have them, then by name: the columns most rows can fill. */
function metricColumns(versions: ModelVersion[]): { shown: string[]; total: number } {
  const counts = new Map<string, number>();
  for (const v of versions) for (const k of Object.keys(v.metrics)) counts.set(k, (counts.get(k) ?? 0) + 1);
  const names = [...counts.keys()].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
  return { shown: names.slice(0, METRIC_COLUMNS), total: names.length };
}

export function VersionsTab({
  project,
  name,
  selected,
  onPromote,
}: {
  project: string;
  name: string;
  selected: number | undefined;
  onPromote: (version: number) => void;
}) {
  const versions = useVersions(project, name);
  const all = versions.data?.pages.flatMap((p) => p.versions) ?? [];
  const { shown, total } = metricColumns(all);

  if (versions.error) return <ErrorState error={versions.error} retry={() => void versions.refetch()} />;
  if (versions.isPending) return <Loading rows={5} label="Loading versions" />;
  if (all.length === 0) {
    return (
      <EmptyState title="No versions yet">
        <p>
          Register one from a run: <code>{`await run.registerModel(${JSON.stringify(name)}, "model/")`}</code>
        </p>
      </EmptyState>
    );
  }
  return (
    <div className="stack">
      <section className="card" aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        <div className="table-scroll">
          <table className="data versions-table">
            <caption className="visually-hidden">Versions of {name}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Created</th>
                <th scope="col">Source run</th>
                {shown.map((m) => (
                  <th key={m} scope="col" className="num" title={m}>
                    {m}
                  </th>
                ))}
                <th scope="col">Status</th>
                <th scope="col">Aliases</th>
              </tr>
            </thead>
            <tbody>
              {all.map((v) => (
                <tr key={v.id} className={v.version === selected ? "selected" : undefined}>
                  <td>
                    <Link to={`?tab=versions&version=${v.version}`} aria-current={v.version === selected ? "true" : undefined} aria-label={`Version ${v.version} details`}>
                      v{v.version}
                    </Link>
                  </td>
                  <td>
                    <Time iso={v.createdAt} />
                  </td>
                  <td className="mono">{v.runId ? <Link to={`/runs/${encodeURIComponent(v.runId)}`}>{v.runId.slice(0, 8)}</Link> : <span className="muted">purged</span>}</td>
                  {shown.map((m) => (
                    <td key={m} className="num" title={v.metrics[m] === undefined ? undefined : String(v.metrics[m])}>
                      {v.metrics[m] === undefined ? <span className="muted">—</span> : formatNumber(v.metrics[m])}
                    </td>
                  ))}
                  <td>{v.archived ? <span className="badge warn">archived</span> : <span className="badge">active</span>}</td>
                  <td>
                    {v.aliases.length === 0 ? (
                      <span className="muted">—</span>
                    ) : (
                      <span className="alias-badges">
                        {v.aliases.map((a) => (
                          <span key={a} className={`badge ${a === "production" ? "ok" : "info"}`}>
                            {a}
                          </span>
                        ))}
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {(total > shown.length || versions.hasNextPage) && (
          <div className="row small muted table-foot">
            {total > shown.length && <span>{`${total - shown.length} more metric${total - shown.length === 1 ? "" : "s"} in each version's details.`}</span>}
            <span className="spacer" />
            {versions.hasNextPage && (
              <button type="button" onClick={() => void versions.fetchNextPage()} disabled={versions.isFetchingNextPage}>
                {versions.isFetchingNextPage ? "Loading…" : "Load older versions"}
              </button>
            )}
          </div>
        )}
      </section>
      {selected === undefined ? (
        <p className="muted">Choose a version to see its signature, datasets, files, metrics and check results.</p>
      ) : (
        <VersionDetail project={project} name={name} version={selected} onPromote={onPromote} />
      )}
    </div>
  );
}

function ColumnsTable({ columns, caption }: { columns: ColumnSchema[]; caption: string }) {
  if (columns.length === 0) return <p className="muted small">None.</p>;
  return (
    <table className="data">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Column</th>
          <th scope="col">Type</th>
          <th scope="col">Nullable</th>
        </tr>
      </thead>
      <tbody>
        {columns.map((c) => (
          <tr key={c.name}>
            <td className="mono">{c.name}</td>
            <td>{c.type}</td>
            <td>{c.nullable ? "yes" : "no"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function VersionDetail({ project, name, version, onPromote }: { project: string; name: string; version: number; onPromote: (version: number) => void }) {
  const query = useVersion(project, name, version);
  const me = useWhoAmI();
  const queryClient = useQueryClient();
  const archive = useMutation({
    mutationFn: (archived: boolean) => api.patch<ModelVersion>(`${modelPath(project, name)}/versions/${version}`, { archived }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelKey(project, name) }),
  });
  return (
    <section className="card version-detail" aria-labelledby="version-detail-title">
      <QueryView query={query} rows={8}>
        {(v) => (
          <div className="stack">
            <div className="row">
              <h2 id="version-detail-title">
                {name} v{v.version}
              </h2>
              {v.archived && <span className="badge warn">archived</span>}
              {v.aliases.map((a) => (
                <span key={a} className={`badge ${a === "production" ? "ok" : "info"}`}>
                  {a}
                </span>
              ))}
              <span className="spacer" />
              {canWrite(me) && (
                <>
                  <button type="button" onClick={() => archive.mutate(!v.archived)} disabled={archive.isPending}>
                    {v.archived ? "Unarchive" : "Archive"}
                  </button>
                  <button type="button" className="primary" onClick={() => onPromote(v.version)} disabled={v.archived} title={v.archived ? "Archived versions cannot be promoted" : undefined}>
                    Promote v{v.version}…
                  </button>
                </>
              )}
            </div>
            {archive.error && (
              <p className="alert bad" role="alert">
                {archive.error instanceof ApiError ? archive.error.fieldMessage : String(archive.error)}
              </p>
            )}
            {v.description && <p>{v.description}</p>}
            <div className="grid grid-2">
              <div>
                <h3>About</h3>
                <dl className="facts">
                  <dt>Created</dt>
                  <dd>
                    <Time iso={v.createdAt} /> by {v.createdBy}
                  </dd>
                  <dt>Source run</dt>
                  <dd>{v.runId ? <Link to={`/runs/${encodeURIComponent(v.runId)}`}>{v.runId}</Link> : <span className="muted">purged (the files stay with the version)</span>}</dd>
                  <dt>Artifact path</dt>
                  <dd className="mono">{v.artifactPath}</dd>
                  <dt>Framework</dt>
                  <dd>{v.framework ?? <span className="muted">—</span>}</dd>
                  <dt>Digest</dt>
                  <dd className="mono" title="sha256 of the file, or of the folder's manifest">
                    {v.digest}
                  </dd>
                  <dt>Lineage</dt>
                  <dd>
                    <Link to={`/lineage/model_version/${encodeURIComponent(v.id)}`}>where it came from and where it went</Link>
                  </dd>
                  {Object.entries(v.tags).map(([k, value]) => (
                    <Fact key={k} term={`tag ${k}`} value={value} />
                  ))}
                </dl>
              </div>
              <div>
                <h3>Metrics snapshot</h3>
                {Object.keys(v.metrics).length === 0 ? (
                  <p className="muted small">No metrics were recorded with this version.</p>
                ) : (
                  <table className="data">
                    <caption className="visually-hidden">Metrics of v{v.version}</caption>
                    <thead>
                      <tr>
                        <th scope="col">Metric</th>
                        <th scope="col" className="num">
                          Value
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {Object.entries(v.metrics)
                        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                        .map(([k, value]) => (
                          <tr key={k}>
                            <td className="mono">{k}</td>
                            <td className="num" title={String(value)}>
                              {formatNumber(value)}
                            </td>
                          </tr>
                        ))}
                    </tbody>
                  </table>
                )}
              </div>
            </div>
            <div className="grid grid-2">
              <div>
                <h3>Signature</h3>
                {v.signature === null ? (
                  <p className="muted small">Registered without a signature (no training dataset and none given): schema rules on this version fail.</p>
                ) : (
                  <div className="grid grid-2 signature">
                    <div>
                      <h4>Inputs ({v.signature.inputs.length})</h4>
                      <ColumnsTable columns={v.signature.inputs} caption="Signature inputs" />
                    </div>
                    <div>
                      <h4>Outputs ({v.signature.outputs.length})</h4>
                      <ColumnsTable columns={v.signature.outputs} caption="Signature outputs" />
                    </div>
                  </div>
                )}
              </div>
              <div>
                <h3>Datasets</h3>
                {v.datasets.length === 0 ? (
                  <p className="muted small">No dataset versions are linked to this version.</p>
                ) : (
                  <ul className="plain-list">
                    {v.datasets.map((d) => (
                      <li key={`${d.role}-${d.datasetVersionId}`}>
                        <span className="badge">{d.role}</span>{" "}
                        <Link to={`/lineage/dataset_version/${encodeURIComponent(d.datasetVersionId)}`}>
                          {d.datasetName} v{d.version}
                        </Link>
                      </li>
                    ))}
                  </ul>
                )}
                <h3 className="section-gap">Files ({v.files.length})</h3>
                <ul className="plain-list">
                  {v.files.map((f) => (
                    <li key={f.path}>
                      <a href={apiUrl(`${modelPath(project, name)}/versions/${v.version}/files/${f.path.split("/").map(seg).join("/")}`)} download={f.path.split("/").pop()} className="mono" title={`sha256 ${f.sha256}`}>
                        {f.path}
                      </a>{" "}
                      <span className="muted small">{formatBytes(f.size)}</span>
                    </li>
                  ))}
                </ul>
              </div>
            </div>
            <ChecksSection project={project} name={name} version={v.version} datasetNames={new Map(v.datasets.map((d) => [d.datasetVersionId, `${d.datasetName} v${d.version}`]))} />
          </div>
        )}
      </QueryView>
    </section>
  );
}

function Fact({ term, value }: { term: string; value: string }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </>
  );
}

function ChecksSection({ project, name, version, datasetNames }: { project: string; name: string; version: number; datasetNames: Map<string, string> }) {
  const checks = useChecks(project, name, version);
  const location = useLocation();
  const all: CheckResult[] = checks.data?.pages.flatMap((p) => p.checks) ?? [];
  const target = location.hash.startsWith("#check-") ? location.hash.slice(1) : undefined;
  const loaded = all.length;
  // An evidence link (`#check-<id>`) lands on its check once the list is there: the router
  // does not scroll to fragments of content that loads after navigation.
  useEffect(() => {
    if (!target || loaded === 0) return;
    const el = document.getElementById(target);
    if (el) {
      el.scrollIntoView({ block: "start" });
      el.focus({ preventScroll: true });
    }
  }, [target, loaded]);

  return (
    <div>
      <h3>Check results</h3>
      {checks.error ? (
        <ErrorState error={checks.error} retry={() => void checks.refetch()} />
      ) : checks.isPending ? (
        <Loading rows={3} label="Loading check results" />
      ) : all.length === 0 ? (
        <p className="muted small">
          No checks recorded for v{version}. Record one from CI with{" "}
          <code>{`cairn.models.check(${JSON.stringify(name)}, ${version}, { kind: "performance", … })`}</code>; the gate's rules read them.
        </p>
      ) : (
        <ul className="checks">
          {all.map((c) => (
            <li key={c.id} id={`check-${c.id}`} tabIndex={-1} className={`check ${target === `check-${c.id}` ? "targeted" : ""}`}>
              <div className="row">
                <span className="badge info">{c.kind}</span>
                {c.name && <strong>{c.name}</strong>}
                <span className={`badge ${statusTone[c.status]}`}>{statusText[c.status]}</span>
                <span className="spacer" />
                <span className="muted small">
                  {c.source === "server" ? "computed by the server" : c.tool ? `${c.tool.name} ${c.tool.version}` : "recorded by a client"} · {c.createdBy} · <Time iso={c.createdAt} />
                </span>
              </div>
              {c.datasets.length > 0 && (
                <div className="small">
                  on{" "}
                  {c.datasets.map((d, i) => (
                    <span key={`${d.role}-${d.datasetVersionId}`}>
                      {i > 0 && ", "}
                      <Link to={`/lineage/dataset_version/${encodeURIComponent(d.datasetVersionId)}`}>
                        {d.role}: {datasetNames.get(d.datasetVersionId) ?? `dataset version ${d.datasetVersionId.slice(0, 8)}…`}
                      </Link>
                    </span>
                  ))}
                </div>
              )}
              <Figures figures={c.figures} />
              <div className="muted small mono">id {c.id}</div>
            </li>
          ))}
        </ul>
      )}
      {checks.hasNextPage && (
        <button type="button" onClick={() => void checks.fetchNextPage()} disabled={checks.isFetchingNextPage}>
          {checks.isFetchingNextPage ? "Loading…" : "Load older checks"}
        </button>
      )}
    </div>
  );
}
