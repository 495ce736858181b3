import type { AuditEvent } from "@cairn/core";
import { useState } from "react";
import { fieldDiff, showValue } from "./diff.js";

const SIGN = { added: "+", removed: "−", changed: "~", unchanged: "" } as const;

/** What an event changed: a field table (added, removed, changed old → new), or the JSON when it has no fields. */
export function AuditDiff({ event }: { event: AuditEvent }) {
  const [showUnchanged, setShowUnchanged] = useState(false);
  const changes = fieldDiff(event.before, event.after);
  if (event.before == null && event.after == null) return <p className="muted small">This event records no field values.</p>;
  if (!changes) {
    return (
      <div className="grid grid-2">
        <JsonBlock title="Before" value={event.before} />
        <JsonBlock title="After" value={event.after} />
      </div>
    );
  }
  const unchanged = changes.filter((c) => c.kind === "unchanged").length;
  const shown = showUnchanged ? changes : changes.filter((c) => c.kind !== "unchanged");
  return (
    <div className="stack">
      <table className="data au-diff">
        <caption className="visually-hidden">Fields changed by {event.action}</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Change</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((c) => (
            <tr key={c.path} className={`au-${c.kind}`}>
              <td className="mono">{c.path}</td>
              <td>
                <span className="au-change">
                  <span aria-hidden="true">{SIGN[c.kind]} </span>
                  {c.kind}
                </span>
              </td>
              <td className="mono au-before">{c.kind === "added" ? <span className="muted">—</span> : showValue(c.before)}</td>
              <td className="mono au-after">
                {c.kind === "removed" ? (
                  <span className="muted">—</span>
                ) : (
                  <>
                    {c.kind === "changed" && <span className="visually-hidden">changed to </span>}
                    {showValue(c.after)}
                  </>
                )}
              </td>
            </tr>
          ))}
          {shown.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No field changed.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="row small">
        {unchanged > 0 && (
          <button type="button" className="link" onClick={() => setShowUnchanged((v) => !v)} aria-pressed={showUnchanged}>
            {showUnchanged ? "Hide" : "Show"} {unchanged} unchanged {unchanged === 1 ? "field" : "fields"}
          </button>
        )}
        <details className="au-raw">
          <summary>Raw JSON</summary>
          <div className="grid grid-2">
            <JsonBlock title="Before" value={event.before} />
            <JsonBlock title="After" value={event.after} />
          </div>
        </details>
      </div>
    </div>
  );
}

function JsonBlock({ title, value }: { title: string; value: unknown }) {
  return (
    <div>
      <h4 className="small muted au-json-title">{title}</h4>
      <pre className="au-json">{value === null || value === undefined ? "null" : JSON.stringify(value, null, 2)}</pre>
    </div>
  );
}
