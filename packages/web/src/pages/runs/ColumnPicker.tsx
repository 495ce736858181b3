import { useState } from "react";
import { ATTRIBUTES, type Column, columnFromId, columnId, type KeysSeen } from "./columns.js";

/**
 * Chooses the table's columns from the run attributes and the metric, param and tag keys seen
 * in the loaded runs. A chosen key no run has (yet) stays listed so it can be removed.
 */
export function ColumnPicker({ columns, keys, onChange }: { columns: readonly Column[]; keys: KeysSeen; onChange: (cols: Column[]) => void }) {
  const [search, setSearch] = useState("");
  const chosen = new Set(columns.map((c) => c.id));
  const needle = search.trim().toLowerCase();

  const toggle = (id: string) => {
    if (chosen.has(id)) onChange(columns.filter((c) => c.id !== id));
    else onChange([...columns, columnFromId(id)!]);
  };

  const groups: { title: string; ids: string[] }[] = [
    { title: "Run", ids: ATTRIBUTES.filter((a) => a !== "name") },
    ...(["metric", "param", "tag"] as const).map((kind) => {
      const ids = keys[kind].map((k) => columnId(kind, k));
      for (const c of columns) if (c.kind === kind && !ids.includes(c.id)) ids.push(c.id);
      return { title: kind === "metric" ? "Metrics" : kind === "param" ? "Params" : "Tags", ids };
    }),
  ];

  return (
    <details className="column-picker">
      <summary className="button">Columns ({columns.length + 1})</summary>
      <div className="column-picker-panel card">
        <label className="field">
          <span>Find a key</span>
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="e.g. loss" />
        </label>
        {groups.map((g) => {
          const shown = g.ids.filter((id) => !needle || id.toLowerCase().includes(needle));
          return (
            <fieldset key={g.title}>
              <legend>{g.title}</legend>
              {shown.length === 0 && <span className="small muted">{g.ids.length === 0 ? "none in the loaded runs" : "no match"}</span>}
              {shown.map((id) => {
                const c = columnFromId(id)!;
                return (
                  <label key={id} className="inline" title={id}>
                    <input type="checkbox" checked={chosen.has(id)} onChange={() => toggle(id)} />
                    <span>{c.label}</span>
                  </label>
                );
              })}
            </fieldset>
          );
        })}
      </div>
    </details>
  );
}
