import type { BehaviourCaseResult } from "@cairn/core";
import { Fragment } from "react";
import { formatNumber } from "../../components/format.js";

/** Above this a nested figure is shown cut, with a note: a 1 MiB report must not freeze the page. */
const MAX_JSON_CHARS = 20_000;

const isScalar = (v: unknown): v is string | number | boolean | null => v === null || ["string", "number", "boolean"].includes(typeof v);

function scalarText(v: string | number | boolean | null): string {
  if (typeof v === "number") return formatNumber(v);
  if (v === null) return "null";
  return String(v);
}

function isBehaviourCases(v: unknown): v is BehaviourCaseResult[] {
  return Array.isArray(v) && v.every((c) => c && typeof c === "object" && "name" in c && "passed" in c && "expected" in c && "observed" in c);
}

function BehaviourCases({ cases }: { cases: BehaviourCaseResult[] }) {
  return (
    <div className="table-scroll">
      <table className="data">
        <caption className="visually-hidden">Behaviour test cases</caption>
        <thead>
          <tr>
            <th scope="col">Case</th>
            <th scope="col">Type</th>
            <th scope="col">Result</th>
            <th scope="col">Expected</th>
            <th scope="col">Observed</th>
          </tr>
        </thead>
        <tbody>
          {cases.map((c, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: case names may repeat; the order is the report's
            <tr key={i} className={c.passed ? undefined : "rule-failed"}>
              <td className="wrap">{c.name}</td>
              <td>{c.type}</td>
              <td>
                <span className={`badge ${c.passed ? "ok" : "bad"}`}>{c.passed ? "passed" : "failed"}</span>
              </td>
              <td className="wrap mono">{c.expected}</td>
              <td className="wrap mono">{c.error ? `error: ${c.error}` : c.observed}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A check's figures as stored: scalar figures as a fact list (what policy rules read by
 * name), nested reports folded open on demand as JSON, behaviour cases as a table.
 */
export function Figures({ figures }: { figures: Record<string, unknown> }) {
  const entries = Object.entries(figures);
  if (entries.length === 0) return <p className="muted small">No figures.</p>;
  const scalars = entries.filter(([, v]) => isScalar(v)) as [string, string | number | boolean | null][];
  const nested = entries.filter(([, v]) => !isScalar(v));
  return (
    <div className="figures">
      {scalars.length > 0 && (
        <dl className="facts">
          {scalars.map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k}</dt>
              <dd className="mono" title={typeof v === "number" ? String(v) : undefined}>
                {scalarText(v)}
              </dd>
            </Fragment>
          ))}
        </dl>
      )}
      {nested.map(([k, v]) =>
        k === "cases" && isBehaviourCases(v) ? (
          <details key={k} open={v.some((c) => !c.passed)}>
            <summary>
              {k} ({v.length}, {v.filter((c) => !c.passed).length} failed)
            </summary>
            <BehaviourCases cases={v} />
          </details>
        ) : (
          <NestedFigure key={k} name={k} value={v} />
        ),
      )}
    </div>
  );
}

function NestedFigure({ name, value }: { name: string; value: unknown }) {
  const json = JSON.stringify(value, null, 2) ?? "";
  const size = Array.isArray(value) ? `${value.length} items` : value && typeof value === "object" ? `${Object.keys(value).length} fields` : "";
  return (
    <details>
      <summary>
        {name} <span className="muted small">{size}</span>
      </summary>
      <pre className="snippet figure-json">
        {json.length > MAX_JSON_CHARS ? `${json.slice(0, MAX_JSON_CHARS)}\n… (${json.length - MAX_JSON_CHARS} more characters; the API has the whole report)` : json}
      </pre>
    </details>
  );
}
