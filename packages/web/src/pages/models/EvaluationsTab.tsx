import type { GateEvaluation } from "@cairn/core";
import { useEffect, useState } from "react";
import { EmptyState, ErrorState, Loading, QueryView } from "../../components/States.js";
import { Time } from "../../components/Time.js";
import { useAliases, useEvaluation, useEvaluations } from "./modelsApi.js";
import { RuleTable } from "./RuleTable.js";

export function Verdict({ evaluation }: { evaluation: GateEvaluation }) {
  if (evaluation.mode === "dry_run") return <span className={`badge ${evaluation.passed ? "ok" : "bad"}`}>{evaluation.passed ? "would pass" : "would be refused"}</span>;
  if (evaluation.forced) return <span className="badge warn">forced override</span>;
  return <span className={`badge ${evaluation.passed ? "ok" : "bad"}`}>{evaluation.passed ? "promoted" : "refused"}</span>;
}

const passedCount = (e: GateEvaluation) => e.rules.filter((r) => r.passed).length;

function EvaluationRow({ evaluation: e, open, onToggle }: { evaluation: GateEvaluation; open: boolean; onToggle: () => void }) {
  const panelId = `evaluation-${e.id}`;
  return (
    <>
      <tr className={open ? "selected" : undefined}>
        <td>
          <button type="button" className="link" aria-expanded={open} aria-controls={panelId} onClick={onToggle}>
            {open ? "▾" : "▸"} <Time iso={e.evaluatedAt} />
          </button>
        </td>
        <td>
          <span className="badge">{e.alias}</span>
        </td>
        <td className="num">v{e.version}</td>
        <td className="num">{e.currentVersion === null ? <span className="muted">none</span> : `v${e.currentVersion}`}</td>
        <td>{e.mode === "dry_run" ? "dry run" : "promotion"}</td>
        <td>
          <Verdict evaluation={e} />
        </td>
        <td className="num">
          {passedCount(e)} / {e.rules.length}
        </td>
        <td>{e.actor}</td>
        <td className="wrap">{e.reason ?? <span className="muted">—</span>}</td>
      </tr>
      {open && (
        <tr className="expanded">
          <td colSpan={9} id={panelId}>
            <div className="muted small">
              evaluation {e.id} · policy revision {e.policyRevision ?? "none"} · evaluated <Time iso={e.evaluatedAt} />
            </div>
            <RuleTable rules={e.rules} version={e.version} caption={`Rules of evaluation ${e.id}`} />
          </td>
        </tr>
      )}
    </>
  );
}

/** Stored gate evaluations (promotions, refusals, overrides, dry runs), newest first, each opening to its rules. */
export function EvaluationsTab({ project, name, focus }: { project: string; name: string; focus: string | undefined }) {
  const [alias, setAlias] = useState("");
  const evaluations = useEvaluations(project, name, alias || undefined);
  const aliases = useAliases(project, name);
  const [open, setOpen] = useState<Set<string>>(() => new Set(focus ? [focus] : []));
  useEffect(() => {
    if (focus) setOpen((s) => new Set(s).add(focus));
  }, [focus]);
  const all = evaluations.data?.pages.flatMap((p) => p.evaluations) ?? [];
  // A link from an alias move may name an evaluation older than the loaded page: fetch that one.
  const focusMissing = focus !== undefined && evaluations.data !== undefined && !all.some((e) => e.id === focus);
  const focused = useEvaluation(project, name, focusMissing ? focus : undefined);
  const toggle = (id: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div className="stack">
      {focusMissing && (
        <section className="card" aria-label="Linked evaluation">
          <QueryView query={focused} rows={4}>
            {(e) => (
              <>
                <div className="row">
                  <h2>
                    Evaluation of v{e.version} for {e.alias}
                  </h2>
                  <Verdict evaluation={e} />
                  <span className="spacer" />
                  <span className="muted small">
                    {e.actor} · <Time iso={e.evaluatedAt} />
                  </span>
                </div>
                <RuleTable rules={e.rules} version={e.version} caption={`Rules of evaluation ${e.id}`} />
              </>
            )}
          </QueryView>
        </section>
      )}
      <section className="card" aria-labelledby="evaluations-title">
        <div className="row">
          <h2 id="evaluations-title">Gate evaluations</h2>
          <span className="spacer" />
          <label className="inline small">
            Alias
            <select value={alias} onChange={(e) => setAlias(e.target.value)}>
              <option value="">every alias</option>
              {(aliases.data?.aliases ?? []).map((a) => (
                <option key={a.alias} value={a.alias}>
                  {a.alias}
                </option>
              ))}
            </select>
          </label>
        </div>
        {evaluations.error ? (
          <ErrorState error={evaluations.error} retry={() => void evaluations.refetch()} />
        ) : evaluations.isPending ? (
          <Loading rows={5} label="Loading evaluations" />
        ) : all.length === 0 ? (
          <EmptyState title="No evaluations yet">
            <p>Every promotion and dry run is evaluated against the alias's policy and stored here, with each rule's observed value, bound and evidence.</p>
          </EmptyState>
        ) : (
          <div className="table-scroll">
            <table className="data evaluations-table">
              <caption className="visually-hidden">Gate evaluations, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Evaluated</th>
                  <th scope="col">Alias</th>
                  <th scope="col" className="num">
                    Candidate
                  </th>
                  <th scope="col" className="num">
                    Holder then
                  </th>
                  <th scope="col">Mode</th>
                  <th scope="col">Outcome</th>
                  <th scope="col" className="num">
                    Rules passed
                  </th>
                  <th scope="col">Who</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {all.map((e) => (
                  <EvaluationRow key={e.id} evaluation={e} open={open.has(e.id)} onToggle={() => toggle(e.id)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {evaluations.hasNextPage && (
          <button type="button" onClick={() => void evaluations.fetchNextPage()} disabled={evaluations.isFetchingNextPage}>
            {evaluations.isFetchingNextPage ? "Loading…" : "Load older evaluations"}
          </button>
        )}
      </section>
    </div>
  );
}
