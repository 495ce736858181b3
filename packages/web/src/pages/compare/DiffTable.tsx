import type { ParamValue } from "@cairn/core";
import { useId, useState } from "react";
import { type ComparedRun, diffRows, matchesFilter, paramText } from "./model.js";
import { RunColumnHeader } from "./RunChips.js";

/**
 * Params (or tags) side by side, one row per key, one column per run. Rows whose values
 * differ are highlighted; "Only differing" (on by default when anything differs) hides the
 * rest, which is what one looks for among hundreds of params.
 */
export function DiffTable({ runs, records, noun, empty }: { runs: ComparedRun[]; records: Record<string, ParamValue>[]; noun: string; empty: React.ReactNode }) {
  const rows = diffRows(records);
  const differing = rows.filter((r) => r.differs).length;
  const [onlyDiffering, setOnlyDiffering] = useState<boolean | undefined>(undefined);
  const [filter, setFilter] = useState("");
  const filterId = useId();
  if (rows.length === 0) return <>{empty}</>;
  const only = onlyDiffering ?? differing > 0;
  const visible = rows.filter((r) => (!only || r.differs) && matchesFilter(r.key, filter));
  return (
    <>
      <div className="row compare-toolbar">
        <label className="inline">
          <input type="checkbox" checked={only} onChange={(e) => setOnlyDiffering(e.target.checked)} />
          Only differing {noun}
        </label>
        <label className="inline" htmlFor={filterId}>
          <span className="visually-hidden">Filter {noun}</span>
          <input id={filterId} type="search" placeholder={`Filter ${noun}…`} value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
        <span className="spacer" />
        <span className="muted small" aria-live="polite">
          {differing} of {rows.length} {noun} differ
        </span>
      </div>
      <div className="compare-scroll">
        <table className="data compare-table">
          <thead>
            <tr>
              <th scope="col">Key</th>
              {runs.map((c) => (
                <th scope="col" key={c.run.id}>
                  <RunColumnHeader c={c} />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {visible.map((r) => {
              // 0.1 and "0.1" are different params: where types mix, strings are shown quoted.
              const mixed = new Set(r.values.filter((v) => v !== undefined).map((v) => typeof v)).size > 1;
              return (
                <tr key={r.key} className={r.differs ? "diff" : undefined} data-key={r.key}>
                  <th scope="row" className="compare-key" title={r.key}>
                    {r.key}
                  </th>
                  {r.values.map((v, i) => (
                    <td key={runs[i]!.run.id} className={`${typeof v === "number" ? "num " : ""}${v === undefined ? "muted" : ""}`} title={paramText(v)}>
                      {typeof v === "string" ? <span className="compare-string">{mixed ? `"${v}"` : v}</span> : paramText(v)}
                    </td>
                  ))}
                </tr>
              );
            })}
            {visible.length === 0 && (
              <tr>
                <td colSpan={runs.length + 1} className="muted">
                  {only && differing === 0 ? `${rows.length === 1 ? `The only ${noun.replace(/s$/, "")} is` : `All ${rows.length} ${noun} are`} equal in every run.` : `No ${noun} match “${filter}”.`}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}
