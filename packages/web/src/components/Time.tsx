import { formatDateTime, formatRelative } from "./format.js";

/** Relative time ("3 hours ago") with the exact time on hover and for screen readers. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso)}
    </time>
  );
}
