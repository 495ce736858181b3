import type { Run, RunList } from "@cairn/core";
import { useQuery } from "@tanstack/react-query";
import { type ReactNode, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, seg } from "../../api/client.js";
import { formatBytes, formatDateTime, formatNumber } from "../../components/format.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { artifactLink } from "./links.js";
import { LiveDuration } from "./LiveDuration.js";
import { metricNumber } from "./metric-values.js";

/** Rows whose value is missing are left out: an empty "—" row tells the reader nothing. */
function Facts({ items }: { items: Record<string, ReactNode | undefined | null | false> }) {
  const shown = Object.entries(items).filter(([, v]) => v !== undefined && v !== null && v !== false && v !== "");
  if (shown.length === 0) return <p className="muted small">Nothing recorded.</p>;
  return (
    <dl className="facts">
      {shown.map(([k, v]) => (
        <div key={k} className="run-fact">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function RunLink({ id, label }: { id: string; label: string }) {
  const other = useQuery({ queryKey: ["run", id], queryFn: () => api.get<Run>(`/runs/${seg(id)}`, { includeDeleted: true }), retry: false });
  return (
    <span>
      {label}: <Link to={`/runs/${seg(id)}`}>{other.data?.name ?? id}</Link> {other.data && <StatusBadge status={other.data.status} />}
      {other.error ? <span className="muted small"> (no longer available)</span> : null}
    </span>
  );
}

/** Child runs (sweeps, nested runs): the runs whose parent is this one, through the filter language. */
function ChildRuns({ run }: { run: Run }) {
  const children = useQuery({
    queryKey: ["run-children", run.id],
    queryFn: () => api.get<RunList>(`/projects/${seg(run.projectId)}/runs`, { filter: `parent = "${run.id}"`, orderBy: "created asc", limit: 100 }),
  });
  if (children.isPending) return <div className="skeleton" style={{ width: "40%" }} />;
  if (children.error) return <p className="alert bad">Child runs could not be loaded: {String((children.error as Error).message)}</p>;
  const list = children.data.runs;
  if (list.length === 0) return <p className="muted small">No child runs. Start one with <code>init({`{ parent: "${run.id}" }`})</code>.</p>;
  return (
    <ul className="run-children">
      {list.map((c) => (
        <li key={c.id}>
          <Link to={`/runs/${seg(c.id)}`}>{c.name}</Link> <StatusBadge status={c.status} />
        </li>
      ))}
      {children.data.nextCursor && <li className="muted small">…and more: filter the runs table by parent.</li>}
    </ul>
  );
}

function KeyValueTable({ caption, rows }: { caption: string; rows: [string, string][] }) {
  return (
    <table className="data">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <td className="mono">{k}</td>
            <td className="mono" title={v}>
              {v}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ParamsCard({ params }: { params: Run["params"] }) {
  const [query, setQuery] = useState("");
  // Params arrive flattened by the SDK (`model.depth`): sorting keeps each group together.
  const entries = useMemo(() => Object.entries(params).sort(([a], [b]) => a.localeCompare(b)), [params]);
  const q = query.trim().toLowerCase();
  const shown = q ? entries.filter(([k, v]) => k.toLowerCase().includes(q) || String(v).toLowerCase().includes(q)) : entries;
  return (
    <section className="card" aria-labelledby="run-params-title">
      <div className="row run-card-head">
        <h2 id="run-params-title">Params</h2>
        <span className="muted small">{entries.length}</span>
        <span className="spacer" />
        {entries.length > 0 && <input type="search" aria-label="Search params" placeholder="Search params" value={query} onChange={(e) => setQuery(e.target.value)} />}
      </div>
      {entries.length === 0 ? (
        <p className="muted small">
          No params. Pass them to <code>init({"{ params: { lr: 0.01 } }"})</code> or call <code>run.logParams()</code>.
        </p>
      ) : shown.length === 0 ? (
        <p className="muted small">No param matches “{query}”.</p>
      ) : (
        <div className="run-scroll">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Value</th>
                <th scope="col">Type</th>
              </tr>
            </thead>
            <tbody>
              {shown.map(([k, v]) => (
                <tr key={k}>
                  <td className="mono">{k}</td>
                  <td className={typeof v === "number" ? "num mono" : "mono"} title={String(v)}>
                    {typeof v === "number" ? formatNumber(v) : typeof v === "string" ? v : String(v)}
                  </td>
                  <td className="muted small">{typeof v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function SummaryCard({ run }: { run: Run }) {
  const [, setSearch] = useSearchParams();
  const list = Object.values(run.metrics).sort((a, b) => a.key.localeCompare(b.key));
  return (
    <section className="card" aria-labelledby="run-summary-title">
      <div className="row run-card-head">
        <h2 id="run-summary-title">Latest metrics</h2>
        <span className="muted small">{list.length}</span>
        <span className="spacer" />
        {list.length > 0 && (
          <button type="button" className="link" onClick={() => setSearch({ tab: "metrics" })}>
            Charts →
          </button>
        )}
      </div>
      {list.length === 0 ? (
        <p className="muted small">
          No metrics yet. Log them with <code>run.log({"{ loss }"}, {"{ step }"})</code>.
        </p>
      ) : (
        <div className="run-scroll">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col" className="num">
                  Last
                </th>
                <th scope="col" className="num">
                  Min
                </th>
                <th scope="col" className="num">
                  Max
                </th>
                <th scope="col" className="num">
                  Step
                </th>
                <th scope="col" className="num">
                  Points
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((m) => (
                <tr key={m.key}>
                  <td className="mono">{m.key}</td>
                  <td className="num">{formatNumber(metricNumber(m.last))}</td>
                  <td className="num">{m.min === null ? "—" : formatNumber(metricNumber(m.min))}</td>
                  <td className="num">{m.max === null ? "—" : formatNumber(metricNumber(m.max))}</td>
                  <td className="num">{formatNumber(m.lastStep)}</td>
                  <td className="num">{formatNumber(m.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function OverviewTab({ run, projectName }: { run: Run; projectName: string | undefined }) {
  const src = run.source;
  const env = run.environment;
  const tags = Object.entries(run.tags).sort(([a], [b]) => a.localeCompare(b));
  const deps = Object.entries(env?.dependencies ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const envVars = Object.entries(env?.env ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const diffHref = src?.diffArtifact ? artifactLink(run.id, src.diffArtifact) : undefined;
  return (
    <div className="stack">
      <div className="grid grid-2">
        <section className="card" aria-labelledby="run-status-title">
          <h2 id="run-status-title">Run</h2>
          <Facts
            items={{
              "Status": <StatusBadge status={run.status} />,
              "Duration": <LiveDuration run={run} />,
              "Started": formatDateTime(run.startedAt),
              "Ended": run.endedAt ? formatDateTime(run.endedAt) : run.status === "running" ? "still running" : "—",
              "Last heartbeat": formatDateTime(run.heartbeatAt),
              "Project": projectName && <Link to={`/projects/${seg(projectName)}/runs`}>{projectName}</Link>,
              "Parent run": run.parentId && <RunLink id={run.parentId} label="Parent" />,
              "Retrained from": run.retrainedFrom && <RunLink id={run.retrainedFrom} label="Re-run of" />,
              "Lineage": <Link to={`/lineage/run/${seg(run.id)}`}>Inputs, outputs and models of this run</Link>,
            }}
          />
          <h3 className="run-subhead">Tags</h3>
          {tags.length === 0 ? (
            <p className="muted small">
              No tags. Set them with <code>run.setTags({"{ team: \"fraud\" }"})</code>.
            </p>
          ) : (
            <ul className="run-tags" aria-label="Tags">
              {tags.map(([k, v]) => (
                <li key={k} className="badge info" title={`${k}=${v}`}>
                  {k}
                  {v ? `: ${v}` : ""}
                </li>
              ))}
            </ul>
          )}
          <h3 className="run-subhead">Child runs</h3>
          <ChildRuns run={run} />
        </section>
        <section className="card" aria-labelledby="run-source-title">
          <h2 id="run-source-title">Source</h2>
          {src ? (
            <Facts
              items={{
                "Commit": src.commit && <code>{src.commit}</code>,
                "Branch": src.branch,
                "Remote": src.remote && <code>{src.remote}</code>,
                "Working tree": src.dirty === undefined ? undefined : src.dirty ? (
                    <span>
                      <span className="badge warn">dirty</span>{" "}
                      {diffHref && <Link to={diffHref}>uncommitted diff{src.diffTruncated ? " (truncated)" : ""}</Link>}
                    </span>
                  ) : (
                    <span className="badge ok">clean</span>
                  ),
                "Entry": src.entry && <code>{src.entry}</code>,
                "Working directory": src.cwd && <code>{src.cwd}</code>,
                "Arguments": src.argv && src.argv.length > 0 && <code>{src.argv.join(" ")}</code>,
                "Node flags": src.execArgv && src.execArgv.length > 0 && <code>{src.execArgv.join(" ")}</code>,
            }}
            />
          ) : (
            <p className="muted small">No source recorded (the run was started with capture off, or outside Node).</p>
          )}
          {src?.command && (
            <>
              <h3 className="run-subhead">Command</h3>
              <pre className="run-code">{src.command}</pre>
            </>
          )}
          <h2 className="run-subhead-2">Environment</h2>
          {env ? (
            <Facts
              items={{
                "Node": env.node,
                "OS": env.os && `${env.os}${env.arch ? ` (${env.arch})` : ""}`,
                "CPU": env.cpuModel && `${env.cpuModel}${env.cpuCount ? ` × ${env.cpuCount}` : ""}`,
                "Memory": env.memoryBytes !== undefined && formatBytes(env.memoryBytes),
                "Host": env.hostname,
                "Package": env.packageName && `${env.packageName}${env.packageVersion ? `@${env.packageVersion}` : ""}`,
                "Lockfile": env.lockfile && <code title={env.lockfileHash}>{env.lockfile}</code>,
                "Lockfile sha256": env.lockfileHash && <code>{env.lockfileHash.slice(0, 16)}…</code>,
                "Seed": env.seed !== undefined && String(env.seed),
            }}
            />
          ) : (
            <p className="muted small">No environment recorded.</p>
          )}
          {deps.length > 0 && (
            <details className="run-details">
              <summary>Dependencies ({deps.length})</summary>
              <KeyValueTable caption="Dependencies" rows={deps} />
            </details>
          )}
          {envVars.length > 0 && (
            <details className="run-details">
              <summary>Environment variables ({envVars.length})</summary>
              <KeyValueTable caption="Environment variables" rows={envVars} />
            </details>
          )}
        </section>
      </div>
      <div className="grid grid-2">
        <ParamsCard params={run.params} />
        <SummaryCard run={run} />
      </div>
    </div>
  );
}
