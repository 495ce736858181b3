import { useState } from "react";
import { formatNumber } from "../../components/format.js";
import { bestIndexes, type ComparedRun, type Goal, guessGoal, metricNumber, type Stat, statOf } from "./model.js";
import { RunColumnHeader } from "./RunChips.js";

const STATS: { value: Stat; label: string }[] = [
  { value: "last", label: "Last" },
  { value: "min", label: "Min" },
  { value: "max", label: "Max" },
];

const show = (v: number | null) => (v === null ? "—" : formatNumber(v));

/**
 * Each metric's summary per run, side by side: the chosen statistic large, the other two
 * beneath it, the best run per row marked (lower or higher is better, guessed from the key
 * and switchable per row).
 */
export function SummaryTable({ keys, runs }: { keys: string[]; runs: ComparedRun[] }) {
  const [stat, setStat] = useState<Stat>("last");
  const [goals, setGoals] = useState<Record<string, Goal>>({});
  const goalOf = (k: string) => goals[k] ?? guessGoal(k);
  return (
    <>
      <div className="row compare-toolbar">
        <fieldset className="compare-segmented">
          <legend className="visually-hidden">Statistic to compare</legend>
          {STATS.map((s) => (
            <label key={s.value} className={stat === s.value ? "selected" : undefined}>
              <input type="radio" name="summary-stat" value={s.value} checked={stat === s.value} onChange={() => setStat(s.value)} />
              {s.label}
            </label>
          ))}
        </fieldset>
        <span className="muted small">The best run in each row is marked ★; the arrow says which way is better (click it to flip).</span>
      </div>
      <div className="compare-scroll">
        <table className="data compare-table compare-summary">
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">Better</th>
              {runs.map((c) => (
                <th scope="col" key={c.run.id} className="num">
                  <RunColumnHeader c={c} />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => {
              const goal = goalOf(k);
              const values = runs.map((c) => statOf(c.run.metrics[k], stat));
              const best = bestIndexes(values, goal);
              return (
                <tr key={k} data-metric={k}>
                  <th scope="row" className="compare-key" title={k}>
                    {k}
                  </th>
                  <td>
                    <button
                      type="button"
                      className="link"
                      onClick={() => setGoals((g) => ({ ...g, [k]: goal === "min" ? "max" : "min" }))}
                      aria-label={`${k}: ${goal === "min" ? "lower" : "higher"} is better; switch`}
                      title="Switch which way is better"
                    >
                      {goal === "min" ? "↓ lower" : "↑ higher"}
                    </button>
                  </td>
                  {runs.map((c, i) => {
                    const s = c.run.metrics[k];
                    if (!s)
                      return (
                        <td key={c.run.id} className="num muted">
                          —
                        </td>
                      );
                    const others = STATS.filter((o) => o.value !== stat);
                    return (
                      <td key={c.run.id} className={`num${best.has(i) ? " best" : ""}`} title={`${s.count} points, last at step ${s.lastStep}`}>
                        <span className="compare-value">
                          {best.has(i) && (
                            <span className="compare-best">
                              <span aria-hidden="true">★ </span>
                              <span className="visually-hidden">best: </span>
                            </span>
                          )}
                          {show(values[i] ?? null)}
                        </span>
                        <span className="compare-sub muted small">{others.map((o) => `${o.label.toLowerCase()} ${show(metricNumber(s[o.value]))}`).join(" · ")}</span>
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
