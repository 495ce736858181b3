import { Link } from "react-router";
import { StatusBadge } from "../../components/StatusBadge.js";
import { Time } from "../../components/Time.js";
import { formatDuration } from "../../components/format.js";
import type { ComparedRun } from "./model.js";

/** The colour that stands for a run in every chart and table on the page. */
export function Swatch({ colour }: { colour: string }) {
  return <span className="compare-swatch" style={{ background: colour }} aria-hidden="true" />;
}

/** A table column heading: the run's colour and name, linking to its page. */
export function RunColumnHeader({ c }: { c: ComparedRun }) {
  return (
    <Link to={`/runs/${encodeURIComponent(c.run.id)}`} className="compare-col-run" title={c.run.name}>
      <Swatch colour={c.colour} />
      <span className="compare-col-name">{c.label}</span>
    </Link>
  );
}

function duration(c: ComparedRun): string {
  const end = c.run.endedAt ? Date.parse(c.run.endedAt) : c.run.status === "running" ? Date.now() : Date.parse(c.run.heartbeatAt);
  return formatDuration(end - Date.parse(c.run.startedAt));
}

/** The compared runs: colour, name (to the run page), status, start and duration, and a remove button each. */
export function RunChips({ runs, onRemove }: { runs: ComparedRun[]; onRemove: (id: string) => void }) {
  return (
    <ul className="compare-runs" aria-label="Compared runs">
      {runs.map((c) => (
        <li key={c.run.id} className="compare-run" data-run-id={c.run.id}>
          <Swatch colour={c.colour} />
          <div className="compare-run-text">
            <Link to={`/runs/${encodeURIComponent(c.run.id)}`} className="compare-run-name" title={c.run.name}>
              {c.label}
            </Link>
            <span className="muted small">
              <Time iso={c.run.startedAt} /> · {duration(c)}
            </span>
          </div>
          <StatusBadge status={c.run.status} />
          <button type="button" className="compare-remove" onClick={() => onRemove(c.run.id)} aria-label={`Remove ${c.label} from the comparison`} title="Remove from the comparison">
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
