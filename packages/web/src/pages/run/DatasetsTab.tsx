import type { ColumnProfile, DatasetVersion, Run } from "@cairn/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, seg } from "../../api/client.js";
import { formatDateTime, formatNumber } from "../../components/format.js";
import { Histogram, type HistogramBin, numericBins } from "../../components/Histogram.js";
import { EmptyState, ErrorState, Loading } from "../../components/States.js";
import { Time } from "../../components/Time.js";
import { artifactLink } from "./links.js";

/** `GET /runs/{id}/datasets` (core's RunDataset): a version this run read or wrote, without its profile. */
interface RunDataset {
  direction: "input" | "output";
  role: string;
  datasetVersion: Omit<DatasetVersion, "profile" | "schema">;
  createdAt: string;
}

/** Categories drawn as bars; the rest are summed into one "other" bar. */
const TOP_BARS = 12;

function percent(part: number, whole: number): string {
  if (whole === 0 || part === 0) return "0%";
  const p = (part / whole) * 100;
  return `${p < 0.1 && p > 0 ? "<0.1" : p.toFixed(p < 10 ? 1 : 0)}%`;
}

function columnBins(c: ColumnProfile): HistogramBin[] {
  if (c.numerical) {
    const { edges, counts } = c.numerical.histogram;
    if (c.type === "datetime") {
      return counts.map((count, i) => ({ label: `${new Date(edges[i]!).toISOString()} – ${new Date(edges[i + 1]!).toISOString()}`, count }));
    }
    return numericBins(edges, counts);
  }
  if (c.boolean) return [{ label: "true", count: c.boolean.trueCount }, { label: "false", count: c.boolean.falseCount }];
  if (c.categorical) {
    const top = c.categorical.top.slice(0, TOP_BARS);
    const rest = c.categorical.top.slice(TOP_BARS).reduce((s, t) => s + t.count, 0) + c.categorical.otherCount;
    const bins = top.map((t) => ({ label: t.value === "" ? "(empty)" : t.value, count: t.count }));
    if (rest > 0) bins.push({ label: "(other values)", count: rest });
    return bins;
  }
  return [];
}

function ColumnSummary({ c }: { c: ColumnProfile }) {
  const n = c.numerical;
  if (n) {
    const fmt = c.type === "datetime" ? (v: number) => formatDateTime(new Date(v).toISOString()) : formatNumber;
    return (
      <span className="small">
        {c.type !== "datetime" && (
          <>
            mean <b>{formatNumber(n.mean)}</b> ± {formatNumber(n.std)} ·{" "}
          </>
        )}
        min {fmt(n.min)} · median {fmt(n.quantiles.p50)} · max {fmt(n.max)}
        {n.nonFinite > 0 ? ` · ${formatNumber(n.nonFinite)} non-finite` : ""}
      </span>
    );
  }
  if (c.boolean) {
    const total = c.boolean.trueCount + c.boolean.falseCount;
    return (
      <span className="small">
        true {formatNumber(c.boolean.trueCount)} ({percent(c.boolean.trueCount, total)}) · false {formatNumber(c.boolean.falseCount)}
      </span>
    );
  }
  if (c.categorical) {
    const top = c.categorical.top.slice(0, 3);
    return (
      <span className="small">
        {top.map((t, i) => (
          <span key={t.value}>
            {i > 0 ? " · " : ""}
            <span className="mono">{t.value === "" ? "(empty)" : t.value}</span> {percent(t.count, c.count)}
          </span>
        ))}
        {c.text && ` · length ${c.text.minLength}–${c.text.maxLength} (mean ${formatNumber(c.text.meanLength)})`}
      </span>
    );
  }
  if (c.text) return <span className="small">length {c.text.minLength}–{c.text.maxLength} (mean {formatNumber(c.text.meanLength)})</span>;
  return <span className="muted small">—</span>;
}

function ProfileTable({ columns, rowCount }: { columns: ColumnProfile[]; rowCount: number }) {
  const [query, setQuery] = useState("");
  const q = query.trim().toLowerCase();
  const shown = q ? columns.filter((c) => c.name.toLowerCase().includes(q) || c.type.includes(q)) : columns;
  return (
    <>
      {columns.length > 8 && (
        <div className="row">
          <input type="search" aria-label="Filter columns" placeholder={`Filter ${columns.length} columns`} value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
      )}
      <div className="run-scroll">
        <table className="data run-profile">
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
              <th scope="col" className="num">
                Count
              </th>
              <th scope="col" className="num">
                Missing
              </th>
              <th scope="col" className="num">
                Distinct
              </th>
              <th scope="col">Summary</th>
              <th scope="col">Distribution</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => (
              <tr key={c.name} data-column={c.name}>
                <td className="mono" title={c.name}>
                  {c.name}
                </td>
                <td>
                  <span className="badge">{c.type}</span>
                </td>
                <td className="num">{formatNumber(c.count)}</td>
                <td className={c.missing > 0 ? "num run-missing" : "num"}>
                  {formatNumber(c.missing)} <span className="muted small">({percent(c.missing, rowCount)})</span>
                </td>
                <td className="num">{formatNumber(Math.round(c.distinct.estimate))}</td>
                <td className="run-profile-summary">
                  <ColumnSummary c={c} />
                </td>
                <td>
                  <Histogram bins={columnBins(c)} title={`Distribution of ${c.name}`} />
                  {c.numerical && c.type === "numerical" && (
                    <div className="run-hist-range small muted" aria-hidden="true">
                      <span>{formatNumber(c.numerical.min)}</span>
                      <span>{formatNumber(c.numerical.max)}</span>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function DatasetCard({ link, projectId }: { link: RunDataset; projectId: string }) {
  const v = link.datasetVersion;
  const full = useQuery({
    queryKey: ["dataset-version", projectId, v.name, v.version],
    queryFn: () => api.get<DatasetVersion>(`/projects/${seg(projectId)}/datasets/${seg(v.name)}/versions/${v.version}`),
    staleTime: 5 * 60_000,
  });
  return (
    <section className="card" aria-label={`Dataset ${v.name} version ${v.version}`}>
      <div className="row run-card-head">
        <h3 className="run-dataset-title">
          <span className="mono">{v.name}</span> <span className="muted">v{v.version}</span>
        </h3>
        <span className={`badge ${link.direction === "input" ? "info" : "ok"}`}>{link.direction === "input" ? "input" : "output"}</span>
        {link.role !== link.direction && <span className="badge">{link.role}</span>}
        <span className="spacer" />
        <Link to={`/lineage/dataset_version/${seg(v.id)}`}>Lineage</Link>
      </div>
      <p className="muted small">
        {formatNumber(v.rowCount)} rows · <span className="mono" title={v.digest}>{v.digest.slice(0, 19)}…</span> · created <Time iso={v.createdAt} />
        {v.source ? (
          <>
            {" "}
            · from <span className="mono">{v.source}</span>
          </>
        ) : null}
        {v.artifact ? (
          <>
            {" "}
            · data stored as <Link to={artifactLink(v.artifact.runId, v.artifact.path)}>{v.artifact.path}</Link>
          </>
        ) : null}
      </p>
      {full.error ? (
        <ErrorState error={full.error} retry={() => void full.refetch()} />
      ) : !full.data ? (
        <Loading rows={4} label={`Loading the profile of ${v.name}`} />
      ) : full.data.profile ? (
        <ProfileTable columns={full.data.profile.columns} rowCount={full.data.profile.rowCount} />
      ) : (
        <p className="muted small">
          No profile stored for this version ({full.data.schema.columns.length} columns in its schema). The SDK's <code>run.logDataset()</code> computes one.
        </p>
      )}
    </section>
  );
}

/** Datasets this run read and wrote, with each version's column profile. */
export function DatasetsTab({ run }: { run: Run }) {
  const list = useQuery({ queryKey: ["run-datasets", run.id], queryFn: () => api.get<{ datasets: RunDataset[] }>(`/runs/${seg(run.id)}/datasets`) });
  if (list.error) return <ErrorState error={list.error} retry={() => void list.refetch()} />;
  if (!list.data) return <Loading rows={6} label="Loading datasets" />;
  const links = list.data.datasets;
  if (links.length === 0) {
    return (
      <EmptyState title="No datasets">
        <p>
          Record the data this run reads with <code>await run.logDataset({"{ name: \"census\", data: \"data/train.csv\", role: \"train\" }"})</code> and what it
          writes with <code>run.logOutputDataset()</code>: each gets a version with its schema and profile.
        </p>
      </EmptyState>
    );
  }
  const sections: [title: string, list: RunDataset[]][] = [
    ["Used", links.filter((l) => l.direction === "input")],
    ["Produced", links.filter((l) => l.direction === "output")],
  ];
  return (
    <div className="stack">
      {sections.map(([title, group]) =>
        group.length === 0 ? null : (
          <section key={title} aria-label={`Datasets ${title.toLowerCase()}`} className="stack">
            <h2>
              {title} <span className="muted small">{group.length}</span>
            </h2>
            {group.map((l) => (
              <DatasetCard key={`${l.direction}-${l.role}-${l.datasetVersion.id}`} link={l} projectId={run.projectId} />
            ))}
          </section>
        ),
      )}
    </div>
  );
}
