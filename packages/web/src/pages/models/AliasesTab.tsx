import type { ModelAlias } from "@cairn/core";
import { Link } from "react-router";
import { canWrite, useWhoAmI } from "../../app/Shell.js";
import { EmptyState, QueryView } from "../../components/States.js";
import { Time } from "../../components/Time.js";
import { useAliases, usePolicies } from "./modelsApi.js";

const versionText = (v: number | null) => (v === null ? "nowhere" : `v${v}`);

function AliasCard({ alias, policyRevision, onPromote }: { alias: ModelAlias; policyRevision: number | undefined; onPromote?: ((alias: string) => void) | undefined }) {
  const titleId = `alias-${alias.alias}`;
  return (
    <section className="card" aria-labelledby={titleId} data-testid={`alias-card-${alias.alias}`}>
      <div className="row">
        <h2 id={titleId}>
          <span className={`badge ${alias.alias === "production" ? "ok" : "info"}`}>{alias.alias}</span> →{" "}
          {alias.version === null ? <span className="muted">points nowhere</span> : <Link to={`?tab=versions&version=${alias.version}`}>v{alias.version}</Link>}
        </h2>
        <span className="spacer" />
        <span className="muted small">{policyRevision === undefined ? "no policy: every promotion passes" : `policy revision ${policyRevision}`}</span>
        {onPromote && (
          <button type="button" onClick={() => onPromote(alias.alias)}>
            Promote to {alias.alias}…
          </button>
        )}
      </div>
      {alias.history.length === 0 ? (
        <p className="muted small">Never moved: it has a policy but no version has been promoted to it yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="data history-table">
            <caption className="visually-hidden">History of {alias.alias}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Move</th>
                <th scope="col">Who</th>
                <th scope="col">Reason</th>
                <th scope="col">Gate</th>
              </tr>
            </thead>
            <tbody>
              {alias.history.map((m) => (
                <tr key={m.id}>
                  <td>
                    <Time iso={m.movedAt} />
                  </td>
                  <td>
                    {versionText(m.fromVersion)} → {versionText(m.toVersion)}
                    {m.toVersion === null && <span className="badge">removed</span>}
                  </td>
                  <td>{m.actor}</td>
                  <td className="wrap">{m.reason ?? <span className="muted">—</span>}</td>
                  <td>
                    {m.forced && <span className="badge bad">forced override</span>}{" "}
                    {m.evaluationId ? (
                      <Link to={`?tab=evaluations&evaluation=${encodeURIComponent(m.evaluationId)}`} title={`evaluation ${m.evaluationId}`}>
                        evaluation {m.evaluationId.slice(0, 8)}…
                      </Link>
                    ) : (
                      <span className="muted">not gated</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Every alias of the model (pointing now, moved before, or with a policy) with its moves, newest first. */
export function AliasesTab({ project, name, onPromote }: { project: string; name: string; onPromote: (alias: string) => void }) {
  const aliases = useAliases(project, name);
  const policies = usePolicies(project, name);
  const me = useWhoAmI();
  const revisions = new Map((policies.data?.policies ?? []).map((p) => [p.alias, p.revision]));
  return (
    <QueryView query={aliases} rows={6}>
      {({ aliases: list }) =>
        list.length === 0 ? (
          <EmptyState title="No aliases yet">
            <p>
              An alias such as <code>production</code> points at one version and moves only through the gate. Promote a version from the Versions tab, or with{" "}
              <code>{`cairn.models.promote(${JSON.stringify(name)}, 1, "production", { reason })`}</code>.
            </p>
          </EmptyState>
        ) : (
          <div className="stack">
            {list.map((a) => (
              <AliasCard key={a.alias} alias={a} policyRevision={revisions.get(a.alias)} onPromote={canWrite(me) ? onPromote : undefined} />
            ))}
          </div>
        )
      }
    </QueryView>
  );
}
