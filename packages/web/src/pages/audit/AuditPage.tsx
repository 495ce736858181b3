import type { AuditEvent, AuditList, AuditVerifyResult, KeyList, Project } from "@cairn/core";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { type FormEvent, Fragment, useEffect, useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { ApiError, api, apiUrl, seg } from "../../api/client.js";
import { useWhoAmI } from "../../app/Shell.js";
import { formatDateTime, formatNumber } from "../../components/format.js";
import { EmptyState, ErrorState, Loading } from "../../components/States.js";
import { Time } from "../../components/Time.js";
import { AuditDiff } from "./AuditDiff.js";
import "./audit.css";

const PAGE_SIZE = 50;
const FILTER_KEYS = ["project", "actor", "action", "from", "to"] as const;
type Filters = Partial<Record<(typeof FILTER_KEYS)[number], string>>;

/** Every action the server records, offered as suggestions (any exact action can be typed). */
const KNOWN_ACTIONS = [
  "alert.fire",
  "alias.move",
  "alias.override",
  "alias.remove",
  "artifact.delete",
  "auth.denied",
  "check.create",
  "dataset_version.attach_artifact",
  "dataset_version.create",
  "gate.evaluate",
  "gate.refused",
  "gc.run",
  "key.create",
  "key.revoke",
  "labels.log",
  "metrics.log",
  "model.create",
  "model.update",
  "model_version.create",
  "model_version.update",
  "monitor.create",
  "monitor.delete",
  "monitor.update",
  "policy.set",
  "predictions.log",
  "project.create",
  "project.delete",
  "project.purge",
  "project.restore",
  "run.create",
  "run.delete",
  "run.params",
  "run.purge",
  "run.restore",
  "run.update",
  "run_dataset.link",
  "session.create",
  "session.delete",
];

function readFilters(params: URLSearchParams): Filters {
  const f: Filters = {};
  for (const k of FILTER_KEYS) {
    const v = params.get(k)?.trim();
    if (v) f[k] = v;
  }
  return f;
}

/** `datetime-local` works in local time without a zone; the URL and the API hold ISO instants. */
const toLocalInput = (iso: string | undefined) => {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const fromLocalInput = (v: string) => (v ? new Date(v).toISOString() : "");

/** Where an event's subject can be looked at, when the UI has a page for it. */
function subjectHref(e: AuditEvent, projectName: string | undefined): string | undefined {
  const { kind, id } = e.subject;
  if (kind === "run") return `/runs/${seg(id)}`;
  if (kind === "dataset_version" || kind === "model_version" || kind === "artifact") return `/lineage/${seg(kind)}/${seg(id)}`;
  if (kind === "project" && projectName) return `/projects/${seg(projectName)}/runs`;
  return undefined;
}

function VerifyBanner() {
  const verify = useQuery({
    queryKey: ["audit-verify"],
    queryFn: () => api.get<AuditVerifyResult>("/audit/verify"),
    retry: false,
    staleTime: 30_000,
  });
  const again = (
    <button type="button" className="link" onClick={() => void verify.refetch()} disabled={verify.isFetching}>
      {verify.isFetching ? "Verifying…" : "Verify again"}
    </button>
  );
  if (verify.isPending) {
    return (
      <div className="alert au-banner" role="status">
        Verifying the hash chain…
      </div>
    );
  }
  if (verify.error) {
    if (verify.error instanceof ApiError && verify.error.status === 403) {
      return (
        <div className="alert warn au-banner" role="status">
          Only an admin key on all projects can verify the hash chain; the events below are the ones your key may read.
        </div>
      );
    }
    return (
      <div className="alert bad au-banner" role="alert">
        The chain could not be verified: {verify.error.message} {again}
      </div>
    );
  }
  const r = verify.data;
  if (r.ok) {
    return (
      <div className="alert ok au-banner" role="status">
        <strong>Chain verified:</strong> {formatNumber(r.checked)} {r.checked === 1 ? "event" : "events"}
        {r.head ? (
          <>
            {" "}
            up to seq {formatNumber(r.head.seq)}, head hash <code title={r.head.hash}>{r.head.hash.slice(0, 16)}…</code>
          </>
        ) : (
          " (the log is empty)"
        )}
        . {again}
      </div>
    );
  }
  return (
    <div className="alert bad au-banner" role="alert">
      <strong>Chain broken at seq {r.firstBroken ? formatNumber(r.firstBroken.seq) : "?"}:</strong> {r.firstBroken?.reason ?? "unknown reason"} (
      {formatNumber(r.checked)} events checked). Events from there on may have been altered outside Cairn. {again}
    </div>
  );
}

function ExportLinks({ filters }: { filters: Filters }) {
  const filtered = apiUrl("/audit/export", { project: filters.project, since: filters.from, until: filters.to });
  const narrowed = filters.project !== undefined || filters.from !== undefined || filters.to !== undefined;
  const ignored = [filters.actor && "actor", filters.action && "action"].filter(Boolean);
  return (
    <div className="au-export small">
      <a className="button" href={filtered} download="audit.jsonl">
        Export {narrowed ? "these events" : "the whole chain"} (JSON Lines)
      </a>
      {narrowed && (
        <a href={apiUrl("/audit/export")} download="audit.jsonl">
          Export the whole chain
        </a>
      )}
      <p className="muted">
        One event per line, oldest first, with <code>seq</code>, <code>prevHash</code> and <code>hash</code>.
        {narrowed ? " A filtered export is a slice: it re-verifies only from its first event's prevHash." : " The whole chain re-verifies offline from the genesis hash."}
        {ignored.length > 0 && ` The export filters by project and time only, so the ${ignored.join(" and ")} filter is not applied to it.`}
      </p>
    </div>
  );
}

function FilterForm({ filters, onApply, projects, actors }: { filters: Filters; onApply: (f: Filters) => void; projects: Project[]; actors: { id: string; name: string }[] | undefined }) {
  const [draft, setDraft] = useState(filters);
  // The URL is the truth: back/forward and links replace what is being edited.
  useEffect(() => setDraft(filters), [filters]);
  const set = (k: keyof Filters, v: string) => setDraft((d) => ({ ...d, [k]: v || undefined }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(draft);
  };
  return (
    <form className="card au-filters" onSubmit={submit} aria-label="Filter events">
      <label className="field">
        Project
        <select value={draft.project ?? ""} onChange={(e) => set("project", e.target.value)}>
          <option value="">All projects</option>
          {projects.map((p) => (
            <option key={p.id} value={p.name}>
              {p.name}
            </option>
          ))}
          {draft.project && !projects.some((p) => p.name === draft.project || p.id === draft.project) && <option value={draft.project}>{draft.project}</option>}
        </select>
      </label>
      {actors ? (
        <label className="field">
          Actor
          <select value={draft.actor ?? ""} onChange={(e) => set("actor", e.target.value)}>
            <option value="">Anyone</option>
            {actors.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
            {draft.actor && !actors.some((a) => a.id === draft.actor) && <option value={draft.actor}>{draft.actor}</option>}
          </select>
        </label>
      ) : (
        <label className="field">
          Actor (key id)
          <input value={draft.actor ?? ""} onChange={(e) => set("actor", e.target.value.trim())} placeholder="key id" spellCheck={false} />
        </label>
      )}
      <label className="field">
        Action
        <input value={draft.action ?? ""} onChange={(e) => set("action", e.target.value.trim())} list="audit-actions" placeholder="e.g. alias.move" spellCheck={false} />
        <datalist id="audit-actions">
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </label>
      <label className="field">
        From
        <input type="datetime-local" value={toLocalInput(draft.from)} onChange={(e) => set("from", fromLocalInput(e.target.value))} />
      </label>
      <label className="field">
        To (exclusive)
        <input type="datetime-local" value={toLocalInput(draft.to)} onChange={(e) => set("to", fromLocalInput(e.target.value))} />
      </label>
      <div className="row au-filter-actions">
        <button type="submit" className="primary">
          Apply
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft({});
            onApply({});
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function EventRow({ event, projectName, expanded, onToggle, onFilter }: { event: AuditEvent; projectName: string | undefined; expanded: boolean; onToggle: () => void; onFilter: (f: Filters) => void }) {
  const href = subjectHref(event, projectName);
  const detailsId = `audit-event-${event.seq}`;
  const target = `${event.subject.kind} ${event.subject.id}`;
  return (
    <Fragment>
      <tr className={expanded ? "au-open" : undefined}>
        <td>
          <button type="button" className="au-toggle" aria-expanded={expanded} aria-controls={detailsId} onClick={onToggle} aria-label={`Details of ${event.action} #${event.seq}`}>
            <span aria-hidden="true">{expanded ? "▾" : "▸"}</span>
          </button>
        </td>
        <td title={formatDateTime(event.at)}>
          <Time iso={event.at} />
        </td>
        <td>
          {event.actor.keyId ? (
            <button type="button" className="link" title={`Only events by ${event.actor.name}`} onClick={() => onFilter({ actor: event.actor.keyId ?? undefined })}>
              {event.actor.name}
            </button>
          ) : (
            event.actor.name
          )}
        </td>
        <td>
          <button type="button" className="link mono" title={`Only ${event.action} events`} onClick={() => onFilter({ action: event.action })}>
            {event.action}
          </button>
        </td>
        <td title={target}>
          <span className="muted">{event.subject.kind}</span>{" "}
          {href ? (
            <Link to={href} className="mono">
              {event.subject.id}
            </Link>
          ) : (
            <span className="mono">{event.subject.id}</span>
          )}
        </td>
        <td>{event.projectId ? (projectName ?? <span className="mono small">{event.projectId.slice(0, 8)}…</span>) : <span className="muted">—</span>}</td>
        <td className="num mono small">{event.seq}</td>
      </tr>
      {expanded && (
        <tr className="au-details" id={detailsId}>
          <td colSpan={7}>
            <div className="au-details-body">
              <AuditDiff event={event} />
              <dl className="facts small au-meta">
                <dt>When</dt>
                <dd>{event.at}</dd>
                <dt>Actor key</dt>
                <dd className="mono">{event.actor.keyId ?? "none (anonymous or system)"}</dd>
                <dt>Event id</dt>
                <dd className="mono">{event.id}</dd>
                {event.requestId && (
                  <>
                    <dt>Request</dt>
                    <dd className="mono">{event.requestId}</dd>
                  </>
                )}
                {event.clientIp && (
                  <>
                    <dt>Client IP</dt>
                    <dd className="mono">{event.clientIp}</dd>
                  </>
                )}
                {event.userAgent && (
                  <>
                    <dt>User agent</dt>
                    <dd>{event.userAgent}</dd>
                  </>
                )}
                <dt>Hash</dt>
                <dd className="mono">{event.hash}</dd>
                <dt>Previous hash</dt>
                <dd className="mono">{event.prevHash}</dd>
              </dl>
            </div>
          </td>
        </tr>
      )}
    </Fragment>
  );
}

export default function AuditPage() {
  const [search, setSearch] = useSearchParams();
  const filters = useMemo(() => readFilters(search), [search]);
  const me = useWhoAmI();
  const isAdmin = me?.role === "admin";
  const [expanded, setExpanded] = useState<Set<number>>(() => new Set());

  const projects = useQuery({ queryKey: ["projects", "switcher"], queryFn: () => api.get<{ projects: Project[] }>("/projects", { limit: 200 }) });
  const projectList = projects.data?.projects ?? [];
  const projectNames = useMemo(() => new Map(projectList.map((p) => [p.id, p.name])), [projectList]);
  // Key names for the actor filter: only admins may list keys; others type a key id.
  const keys = useQuery({ queryKey: ["keys", "audit"], queryFn: () => api.get<KeyList>("/keys", { limit: 200 }), enabled: isAdmin, retry: false });
  const actors = keys.data?.keys.map((k) => ({ id: k.id, name: k.name }));

  const list = useInfiniteQuery({
    queryKey: ["audit", filters],
    queryFn: ({ pageParam, signal }) => api.get<AuditList>("/audit", { ...filters, limit: PAGE_SIZE, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
  });
  const events = useMemo(() => list.data?.pages.flatMap((p) => p.events) ?? [], [list.data]);

  const apply = (f: Filters) => {
    const p = new URLSearchParams();
    for (const k of FILTER_KEYS) if (f[k]) p.set(k, f[k]!);
    setSearch(p);
    setExpanded(new Set());
  };
  const narrow = (f: Filters) => apply({ ...filters, ...f });

  // Infinite scroll: the next page loads as the end of the list comes into view.
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const toggle = (seq: number) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (next.has(seq)) next.delete(seq);
      else next.add(seq);
      return next;
    });

  const forbidden = list.error instanceof ApiError && list.error.status === 403;
  const filtered = Object.keys(filters).length > 0;

  return (
    <div className="audit-page">
      <header className="page-header">
        <div>
          <nav className="breadcrumbs" aria-label="Breadcrumbs">
            <Link to="/">Projects</Link> / Audit log
          </nav>
          <h1>Audit log</h1>
          <div className="subtitle">Every change, who made it and when, in a hash chain that shows any later edit.</div>
        </div>
        {!forbidden && <ExportLinks filters={filters} />}
      </header>

      {forbidden ? (
        <div className="card">
          <EmptyState title="Only admins can read the audit log">
            <p>Your key ({me?.name ?? "this session"}, {me?.role ?? "unknown role"}) may not read audit events. Ask an admin, or log in with an admin key.</p>
          </EmptyState>
        </div>
      ) : (
        <>
          <VerifyBanner />
          <FilterForm filters={filters} onApply={apply} projects={projectList} actors={actors} />
          <section className="card au-list" aria-label="Audit events">
            {list.error ? (
              <ErrorState error={list.error} retry={() => void list.refetch()} />
            ) : list.isPending ? (
              <Loading rows={10} label="Loading audit events" />
            ) : events.length === 0 ? (
              <EmptyState title={filtered ? "No event matches these filters" : "Nothing has been audited yet"}>
                {filtered ? (
                  <button type="button" onClick={() => apply({})}>
                    Clear the filters
                  </button>
                ) : (
                  <p>
                    Every change is recorded here: start a run with <code>init({"{ project }"})</code> or create a key.
                  </p>
                )}
              </EmptyState>
            ) : (
              <>
                <table className="data au-table">
                  <thead>
                    <tr>
                      <th scope="col">
                        <span className="visually-hidden">Details</span>
                      </th>
                      <th scope="col">Time</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Action</th>
                      <th scope="col">Target</th>
                      <th scope="col">Project</th>
                      <th scope="col" className="num">
                        Seq
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {events.map((e) => (
                      <EventRow
                        key={e.seq}
                        event={e}
                        projectName={e.projectId ? projectNames.get(e.projectId) : undefined}
                        expanded={expanded.has(e.seq)}
                        onToggle={() => toggle(e.seq)}
                        onFilter={narrow}
                      />
                    ))}
                  </tbody>
                </table>
                <div ref={sentinel} className="au-more row">
                  <span className="small muted" aria-live="polite">
                    {formatNumber(events.length)} {events.length === 1 ? "event" : "events"}
                    {hasNextPage ? ", newest first" : " — the whole list"}
                  </span>
                  {hasNextPage && (
                    <button type="button" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
                      {isFetchingNextPage ? "Loading…" : "Load older events"}
                    </button>
                  )}
                </div>
              </>
            )}
          </section>
        </>
      )}
    </div>
  );
}
