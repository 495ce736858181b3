import type { RuleOutcome } from "@cairn/core";
import { Link } from "react-router";
import { Time } from "../../components/Time.js";
import { describeRule, formatObserved } from "./rules.js";

/** Where an outcome's evidence lives in the UI: a check or the metrics snapshot of the candidate version. */
function EvidenceLink({ outcome, version, onNavigate }: { outcome: RuleOutcome; version: number; onNavigate?: (() => void) | undefined }) {
  const e = outcome.evidence;
  // A rule can pass without evidence (no version holds the alias yet, no dated evidence to age): its message says why.
  if (!e) return outcome.passed ? <span className="muted small">{outcome.message}</span> : <span className="badge bad">no evidence</span>;
  const base = `?tab=versions&version=${version}`;
  const label = e.kind === "check" ? `check ${e.id.slice(0, 8)}…` : e.kind === "metrics" ? `metrics snapshot of v${version}` : "stored signatures";
  const to = e.kind === "check" ? `${base}#check-${e.id}` : base;
  return (
    <span>
      <Link to={to} onClick={onNavigate} title={e.kind === "check" ? `check ${e.id}` : undefined}>
        {label}
      </Link>
      {e.createdAt && (
        <span className="muted small">
          {" "}
          · <Time iso={e.createdAt} />
        </span>
      )}
    </span>
  );
}

/**
 * One row per rule of a gate evaluation: what was measured, what it was held to, whether it
 * passed (a badge with the word, never colour alone) and the evidence it read. Failed rows
 * are highlighted and carry the gate's message (which names the figures apart when they
 * would otherwise print alike).
 */
export function RuleTable({ rules, version, caption, onNavigate }: { rules: RuleOutcome[]; version: number; caption: string; onNavigate?: () => void }) {
  if (rules.length === 0) {
    return <p className="muted">This alias has no policy: every promotion passes (and is still evaluated, stored and audited).</p>;
  }
  return (
    <div className="table-scroll">
      <table className="data rule-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Rule</th>
            <th scope="col" className="num">
              Observed
            </th>
            <th scope="col">Bound</th>
            <th scope="col">Result</th>
            <th scope="col">Evidence</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((o) => {
            const text = describeRule(o.rule);
            return (
              <tr key={o.index} className={o.passed ? undefined : "rule-failed"} data-testid={`rule-${o.index}`}>
                <td className="muted">{`rules[${o.index}]`}</td>
                <td className="wrap">
                  <div>
                    <span className="muted small">{text.kind}</span> {text.subject}
                  </div>
                  {!o.passed && <div className="small rule-message">{o.message}</div>}
                </td>
                <td className="num" title={o.observed === null ? "no evidence" : String(o.observed)}>
                  {formatObserved(o.observed)}
                </td>
                <td className="wrap">{o.bound}</td>
                <td>
                  <span className={`badge ${o.passed ? "ok" : "bad"}`}>{o.passed ? "✓ passed" : "✗ failed"}</span>
                </td>
                <td>
                  <EvidenceLink outcome={o} version={version} onNavigate={onNavigate} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
