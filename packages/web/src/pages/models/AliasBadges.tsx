/** `production → v3` pills, sorted by alias name; the text carries the meaning, not the colour. */
export function AliasBadges({ aliases, emptyText = "—" }: { aliases: Record<string, number>; emptyText?: string }) {
  const entries = Object.entries(aliases).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return <span className="muted">{emptyText}</span>;
  return (
    <span className="alias-badges">
      {entries.map(([alias, version]) => (
        <span key={alias} className={`badge ${alias === "production" ? "ok" : "info"}`} data-alias={alias}>
          {alias} → v{version}
        </span>
      ))}
    </span>
  );
}
