import type { StoredPolicy } from "@cairn/core";
import { useState } from "react";
import { EmptyState, QueryView } from "../../components/States.js";
import { Time } from "../../components/Time.js";
import { usePolicies } from "./modelsApi.js";
import { describeRule } from "./rules.js";

function PolicyRules({ policy }: { policy: StoredPolicy }) {
  if (policy.rules.length === 0) return <p className="muted small">No rules (the policy was lifted): every promotion to {policy.alias} passes.</p>;
  return (
    <div className="table-scroll">
      <table className="data">
        <caption className="visually-hidden">
          Rules of the {policy.alias} policy, revision {policy.revision}
        </caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Kind</th>
            <th scope="col">Metric or check</th>
            <th scope="col">Bound</th>
            <th scope="col">Tolerance</th>
          </tr>
        </thead>
        <tbody>
          {policy.rules.map((rule, i) => {
            const text = describeRule(rule);
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: a rule is its position in the policy (`rules[i]` in gate errors)
              <tr key={i}>
                <td className="muted">{`rules[${i}]`}</td>
                <td>{text.kind}</td>
                <td className="wrap">{text.subject}</td>
                <td className="wrap">{text.bound}</td>
                <td>{text.tolerance || <span className="muted">—</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The policy in force per alias, read as sentences of a table; the revisions behind it on demand. */
export function PolicyTab({ project, name }: { project: string; name: string }) {
  const [history, setHistory] = useState(false);
  const policies = usePolicies(project, name, history);
  const example = `await cairn.models.setPolicy(${JSON.stringify(name)}, {
  alias: "production",
  rules: [
    { metric: "accuracy", dataset: "test", min: 0.9 },
    { metric: "accuracy", dataset: "test", notWorseThan: "production", tolerance: 0.01 },
    { check: "behaviour", allPass: true },
    { checksNewerThan: "7d" },
  ],
});`;
  return (
    <div className="stack">
      <div className="row">
        <label className="inline">
          <input type="checkbox" checked={history} onChange={(e) => setHistory(e.target.checked)} />
          Show every revision (newest first)
        </label>
      </div>
      <QueryView query={policies} rows={6}>
        {({ policies: list }) =>
          list.length === 0 ? (
            <EmptyState title="No promotion policy">
              <p>Without a policy every promotion passes (and is still evaluated and audited). Set one from CI or a notebook:</p>
              <pre className="snippet">
                <code>{example}</code>
              </pre>
            </EmptyState>
          ) : (
            list.map((p) => (
              <section key={`${p.alias}-${p.revision}`} className="card" aria-label={`${p.alias} policy revision ${p.revision}`}>
                <div className="row">
                  <h2>
                    <span className={`badge ${p.alias === "production" ? "ok" : "info"}`}>{p.alias}</span> revision {p.revision}
                  </h2>
                  <span className="spacer" />
                  <span className="muted small">
                    set by {p.createdBy} <Time iso={p.createdAt} />
                  </span>
                </div>
                <PolicyRules policy={p} />
              </section>
            ))
          )
        }
      </QueryView>
    </div>
  );
}
