import type { DatasetVersion } from "@cairn/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, seg } from "../../api/client.js";
import { formatBytes, formatNumber } from "../../components/format.js";
import { ErrorState, Loading } from "../../components/States.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { Time } from "../../components/Time.js";
import { type DrawnNode, KIND_ICON, KIND_LABEL } from "./model.js";
import { lineageHref, monitoringHref, openHref } from "./targets.js";

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const num = (v: unknown) => (typeof v === "number" ? v : undefined);

/** The facts the server sends with each node, formatted for its kind. */
function Facts({ node, project }: { node: DrawnNode; project: string | undefined }) {
  const a = node.attributes;
  const rows: [string, React.ReactNode][] = [];
  switch (node.kind) {
    case "run":
      if (str(a.status)) rows.push(["Status", <StatusBadge key="s" status={str(a.status)!} />]);
      if (str(a.startedAt)) rows.push(["Started", <Time key="t" iso={str(a.startedAt)} />]);
      break;
    case "dataset_version":
      rows.push(["Dataset", str(a.name) ?? "—"], ["Version", `v${num(a.version) ?? "?"}`], ["Rows", formatNumber(num(a.rowCount))]);
      if (str(a.digest)) rows.push(["Digest", <code key="d">{str(a.digest)}</code>]);
      break;
    case "artifact":
      rows.push(["Path", <code key="p">{str(a.path) ?? node.label}</code>]);
      if (num(a.size) !== undefined) rows.push(["Size", formatBytes(num(a.size)!)]);
      if (str(a.mediaType)) rows.push(["Type", str(a.mediaType)!]);
      if (str(a.sha256)) rows.push(["SHA-256", <code key="h">{str(a.sha256)}</code>]);
      if (str(a.runId)) rows.push(["Run", <Link key="r" to={`/runs/${seg(str(a.runId)!)}`}>{str(a.runId)}</Link>]);
      break;
    case "model_version": {
      rows.push(["Model", str(a.model) ?? "—"], ["Version", `v${num(a.version) ?? "?"}`]);
      const aliases = Array.isArray(a.aliases) ? a.aliases.filter((x): x is string => typeof x === "string") : [];
      rows.push(["Aliases", aliases.length > 0 ? aliases.join(", ") : "none"]);
      if (a.archived === true) rows.push(["Archived", "yes"]);
      if (str(a.digest)) rows.push(["Digest", <code key="d">{str(a.digest)}</code>]);
      break;
    }
    case "alias":
      rows.push(["Model", str(a.model) ?? "—"], ["Alias", str(a.alias) ?? "—"], ["Points at", `v${num(a.version) ?? "?"}`]);
      break;
    case "monitoring":
      rows.push(["Model", str(a.model) ?? "—"]);
      break;
  }
  if (project) rows.push(["Project", project]);
  return (
    <dl className="facts">
      {rows.map(([k, v]) => (
        <div key={k} style={{ display: "contents" }}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A dataset version's schema and source, fetched when its node is opened. */
function DatasetDetails({ id }: { id: string }) {
  const q = useQuery({ queryKey: ["dataset-version", id], queryFn: () => api.get<DatasetVersion>(`/dataset-versions/${seg(id)}`) });
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return <Loading rows={3} label="Loading the dataset version" />;
  const v = q.data;
  const columns = v.schema.columns;
  return (
    <div className="stack">
      <dl className="facts">
        <dt>Created</dt>
        <dd>
          <Time iso={v.createdAt} />
        </dd>
        {v.source && (
          <>
            <dt>Source</dt>
            <dd>
              <code>{v.source}</code>
            </dd>
          </>
        )}
        <dt>Data</dt>
        <dd>
          {v.artifact ? (
            <Link to={`/runs/${seg(v.artifact.runId)}?tab=artifacts&path=${encodeURIComponent(v.artifact.path)}`}>stored as {v.artifact.path}</Link>
          ) : (
            <span className="muted">not uploaded (digest, schema and profile only)</span>
          )}
        </dd>
      </dl>
      <table className="data lg-schema">
        <caption className="visually-hidden">Columns of {v.name} v{v.version}</caption>
        <thead>
          <tr>
            <th scope="col">Column</th>
            <th scope="col">Type</th>
            <th scope="col">Nullable</th>
          </tr>
        </thead>
        <tbody>
          {columns.slice(0, 100).map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td>
              <td>{c.type}</td>
              <td>{c.nullable ? "yes" : "no"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {columns.length > 100 && <p className="small muted">and {formatNumber(columns.length - 100)} more columns</p>}
    </div>
  );
}

/** Details and actions of the selected node (the graph's root until another is chosen). */
export function NodePanel({ node, project }: { node: DrawnNode; project: string | undefined }) {
  const open = openHref(node, project);
  const monitoring = monitoringHref(node, project);
  return (
    <aside className="card lg-panel" aria-label="Selected node">
      <div className="lg-panel-head">
        <span className={`lg-chip kind-${node.kind}`} aria-hidden="true">
          {KIND_ICON[node.kind]}
        </span>
        <div>
          <div className="small muted">{KIND_LABEL[node.kind]}</div>
          <h2 className="lg-panel-title">{node.label}</h2>
        </div>
      </div>
      <Facts node={node} project={project} />
      <div className="row lg-panel-actions">
        {open && <Link to={open}>Open {KIND_LABEL[node.kind].toLowerCase()}</Link>}
        {node.kind !== "monitoring" && !node.root && <Link to={lineageHref(node)}>Show lineage from here</Link>}
        {monitoring && node.kind !== "monitoring" && <Link to={monitoring}>Monitoring of predictions</Link>}
      </div>
      {node.kind === "dataset_version" && <DatasetDetails id={node.id} />}
    </aside>
  );
}
